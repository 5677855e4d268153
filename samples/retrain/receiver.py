#!/usr/bin/python3
"""Closes the loop: a webhook receiver that starts retraining when the update server reports drift.

Usage: receiver.py --secret-file FILE [--listen 127.0.0.1:8787] [--state DIR] [--metrics psi,ks,jensen_shannon]
                   [--export-days 7] [--drifted-only] [--once] [--dry-run]

Add the webhook first (the admin role), keeping the secret the server shows once in an owner-only file:
  edge webhook add http://127.0.0.1:8787/hooks/retrain --event firing --metric psi --metric ks --metric jensen_shannon \\
    --secret-out .edge/retrain.whsec
  EDGE_SERVER=... EDGE_OPERATOR_TOKEN=<deployer token> samples/retrain/receiver.py --secret-file .edge/retrain.whsec

Each POST is checked as Standard Webhooks says (webhook-id, webhook-timestamp within 5 minutes, webhook-signature
"v1,<base64 HMAC-SHA256 of id.timestamp.body>" under the whsec_ secret); a bad one is answered 401 and ignored. A
message id already handled (the server delivers at least once, and `edge webhook redeliver` resends the same id) is
answered 200 and not run again; handled ids are kept in STATE/seen-ids.txt, so a restart remembers them. An
alert.firing on one of --metrics is answered 202 at once and queued; one worker then runs, per alert:
  edge monitor export --model M --version V --since NOW-DAYS --format csv --out STATE/exports/MSG_ID.csv [--drifted-only]
  samples/retrain/retrain.sh STATE/exports/MSG_ID.csv      (retrain, pack, sign, publish, staged rollout)
A second alert for a model version whose job is still queued or running is coalesced into it. Everything else
(resolved alerts, other metrics) is answered 200 and ignored. --dry-run prints the commands instead of running them;
--once exits after the first job (with its exit status). EDGE_BIN names the edge binary (default: edge on PATH).
Standard library only; retrain.sh needs Debian's python3-sklearn and python3-onnx.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import queue
import shlex
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE_SECONDS = 300
MAX_BODY = 1 << 20


def log(message):
    print("receiver: " + message, flush=True)


def verify(secret, headers, body, now=None):
    """Standard Webhooks verification; returns the message id, or None when the message is not authentic or too old."""
    msg_id, ts, sigs = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if not msg_id or not ts or not sigs or not ts.isdigit():
        return None
    if abs((now or time.time()) - int(ts)) > TOLERANCE_SECONDS:
        return None  # too old or from the future: a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    ok = any(hmac.compare_digest(expected, s.split(",", 1)[1]) for s in sigs.split() if s.startswith("v1,"))
    return msg_id if ok else None


class Seen:
    """Message ids already handled, in memory and appended to a file (one per line)."""

    def __init__(self, path):
        self.path, self.lock = path, threading.Lock()
        self.ids = set(open(path).read().split()) if os.path.exists(path) else set()

    def add(self, msg_id):
        """True when msg_id is new (and is now recorded)."""
        with self.lock:
            if msg_id in self.ids:
                return False
            self.ids.add(msg_id)
            with open(self.path, "a") as f:
                f.write(msg_id + "\n")
            return True


class Pipeline:
    """One worker running export + retrain per queued alert; alerts for a model version already queued are coalesced."""

    def __init__(self, args):
        self.args, self.jobs, self.pending, self.lock = args, queue.Queue(), set(), threading.Lock()
        self.done = threading.Event()
        self.status = 0
        threading.Thread(target=self.work, daemon=True).start()

    def submit(self, msg_id, data):
        key = (data["model"], data["version"])
        with self.lock:
            if key in self.pending:
                return False
            self.pending.add(key)
        self.jobs.put((msg_id, data))
        return True

    def work(self):
        while True:
            msg_id, data = self.jobs.get()
            try:
                self.status = self.run(msg_id, data)
            except Exception as e:  # a failed job must not stop the worker
                log(f"{msg_id}: failed: {e}")
                self.status = 1
            with self.lock:
                self.pending.discard((data["model"], data["version"]))
            if self.args.once:
                self.done.set()
                return

    def run(self, msg_id, data):
        edge = shlex.split(os.environ.get("EDGE_BIN", "edge"))
        out = os.path.join(self.args.state, "exports", msg_id + ".csv")
        since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=self.args.export_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        export = edge + ["monitor", "export", "--model", data["model"], "--version", data["version"], "--since", since, "--format", "csv", "--out", out]
        if self.args.drifted_only:
            export.append("--drifted-only")
        retrain = [os.path.join(HERE, "retrain.sh"), out]
        log(f"{msg_id}: {data['metric']}{'(' + data['feature'] + ')' if data.get('feature') else ''} of {data['model']} {data['version']} "
            f"is {data['value']} (threshold {data['threshold']}): retraining")
        for command in (export, retrain):
            if self.args.dry_run:
                log("dry-run: " + shlex.join(command))
                continue
            result = subprocess.run(command)
            if result.returncode != 0:
                log(f"{msg_id}: {shlex.join(command[:3])} ... exited {result.returncode}")
                return result.returncode
        log(f"{msg_id}: done")
        return 0


def make_handler(secret, seen, pipeline, metrics):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            if length <= 0 or length > MAX_BODY:
                return self.answer(400, "bad length")
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            msg_id = verify(secret, headers, body)
            if msg_id is None:
                log("refused a message with a missing, stale or wrong signature")
                return self.answer(401, "invalid signature")
            try:
                event = json.loads(body)
                kind, data = event["type"], event["data"]
            except (ValueError, KeyError, TypeError):
                return self.answer(400, "not a webhook event")
            if not seen.add(msg_id):
                log(f"{msg_id}: duplicate, already handled")
                return self.answer(200, "duplicate")
            if kind != "alert.firing" or data.get("metric") not in metrics:
                log(f"{msg_id}: {kind} {data.get('metric')} of {data.get('model')} {data.get('version')}: ignored")
                return self.answer(200, "ignored")
            if not pipeline.submit(msg_id, data):
                log(f"{msg_id}: a retraining of {data['model']} {data['version']} is already queued")
                return self.answer(200, "coalesced")
            return self.answer(202, "queued")

        def answer(self, status, text):
            payload = json.dumps({"status": text}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass  # one line per decision (log) is enough

    return Handler


def main():
    parser = argparse.ArgumentParser(description="Run retraining when the update server posts a drift alert.")
    parser.add_argument("--secret-file", required=True, help="the whsec_ secret (edge webhook add --secret-out FILE)")
    parser.add_argument("--listen", default="127.0.0.1:8787", help="host:port (default 127.0.0.1:8787; 0 picks a free port)")
    parser.add_argument("--state", default=".edge/retrain-receiver", help="handled ids and exports (default .edge/retrain-receiver)")
    parser.add_argument("--metrics", default="psi,ks,jensen_shannon", help="alert metrics that start retraining (default the drift scores)")
    parser.add_argument("--export-days", type=float, default=7, help="how far back the export reaches (default 7 days)")
    parser.add_argument("--drifted-only", action="store_true", help="export only rows where the traffic drifted")
    parser.add_argument("--once", action="store_true", help="exit after the first retraining job")
    parser.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")
    args = parser.parse_args()

    secret = open(args.secret_file).read().strip()
    if not secret.startswith("whsec_"):
        sys.exit("receiver: the secret file must hold the whsec_... secret edge webhook add printed")
    os.makedirs(os.path.join(args.state, "exports"), mode=0o700, exist_ok=True)
    host, port = args.listen.rsplit(":", 1)
    pipeline = Pipeline(args)
    server = ThreadingHTTPServer((host, int(port)), make_handler(secret, Seen(os.path.join(args.state, "seen-ids.txt")), pipeline, set(args.metrics.split(","))))
    log(f"listening on http://{host}:{server.server_address[1]}/")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pipeline.done.wait() if args.once else threading.Event().wait()
    except KeyboardInterrupt:
        pass
    server.shutdown()
    sys.exit(pipeline.status)


if __name__ == "__main__":
    main()
