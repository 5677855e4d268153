// The comparison server for ServeBench: onnxruntime-node running the same ONNX model behind a minimal V2-style
// REST route (POST /v2/models/<any>/infer, JSON inputs and outputs), so the same client loop drives it and edge serve.
// Usage: node ort-server.js <model.onnx> <node_modules dir holding onnxruntime-node>   (prints "listening <port>")
'use strict';
const http = require('http');
const path = require('path');
const ort = require(path.resolve(process.argv[3], 'onnxruntime-node'));

const typed = { FP32: Float32Array, FP64: Float64Array, INT32: Int32Array, INT64: BigInt64Array };
const names = { float32: 'FP32', float64: 'FP64', int32: 'INT32', int64: 'INT64' };

(async () => {
  const session = await ort.InferenceSession.create(process.argv[2], { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const feeds = {};
        for (const input of body.inputs) {
          const Type = typed[input.datatype];
          const data = input.datatype === 'INT64' ? Type.from(input.data.flat(Infinity), BigInt) : Type.from(input.data.flat(Infinity));
          feeds[input.name] = new ort.Tensor(input.datatype === 'FP32' ? 'float32' : input.datatype.toLowerCase(), data, input.shape);
        }
        const results = await session.run(feeds);
        const outputs = Object.entries(results).map(([name, t]) => ({
          name,
          datatype: names[t.type] || t.type.toUpperCase(),
          shape: t.dims,
          data: Array.from(t.data, v => typeof v === 'bigint' ? Number(v) : v),
        }));
        const json = JSON.stringify({ model_name: 'onnxruntime-node', outputs });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      } catch (e) {
        const json = JSON.stringify({ error: String(e && e.message || e) });
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      }
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
})().catch(e => { console.error(e); process.exit(1); });
