using System.Globalization;
using System.Text;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntimeNative;

/// <summary>
/// Non-tensor outputs and bfloat16 through the C ABI: a C program compiled with gcc against include/edgeruntime.h reads a
/// ZipMap's sequence of maps, a sequence of tensors and string map keys with edge_predict_values, and
/// must print what the .NET API computes; misuse comes back as codes, never a crash.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class NativeValueTests : IDisposable
{
    private const string Source = """
        #include <stdio.h>
        #include <string.h>
        #include "edgeruntime.h"

        static edge_model *open_model(const char *path) {
            edge_model *m = NULL;
            if (edge_model_open(path, NULL, &m) != 0) { fprintf(stderr, "open %s: %s\n", path, edge_last_error()); return NULL; }
            return m;
        }

        static edge_tensor input(const char *name, int type, int rank, const int64_t *shape, void *data, size_t bytes) {
            edge_tensor t; memset(&t, 0, sizeof t);
            t.name = name; t.element_type = type; t.rank = rank;
            for (int d = 0; d < rank; d++) t.shape[d] = shape[d];
            t.data = data; t.data_bytes = bytes;
            return t;
        }

        int main(int argc, char **argv) {
            if (argc < 5) return 2;
            /* 1. ZipMap classifier: label tensor + sequence of int64->float maps */
            edge_model *zip = open_model(argv[1]);
            if (!zip) return 1;
            int32_t kind = -1, optional = -1;
            edge_model_output_kind(zip, 1, &kind, &optional);
            printf("zipmap output 1 kind=%d optional=%d\n", kind, optional);
            float rows[8] = {6.7f, 3.0f, 5.2f, 2.3f, 5.1f, 3.5f, 1.4f, 0.2f};
            int64_t shape[2] = {2, 4};
            edge_tensor in = input("features", EDGE_FLOAT, 2, shape, rows, sizeof rows);
            edge_tensor out; memset(&out, 0, sizeof out);
            out.name = "output_probability";
            int rc = edge_predict(zip, &in, 1, &out, 1);
            printf("edge_predict on a sequence: %d %s\n", rc, edge_last_error());
            edge_prediction *p = NULL;
            if (edge_predict_values(zip, &in, 1, &p) != 0) { fprintf(stderr, "predict: %s\n", edge_last_error()); return 1; }
            edge_model_close(zip); /* the prediction outlives the model */
            int64_t count = 0;
            edge_value_info(p, "output_probability", NULL, 0, &kind, &count);
            printf("output_probability kind=%d count=%lld\n", kind, (long long)count);
            for (int32_t r = 0; r < count; r++) {
                int64_t keys[3]; float values[3];
                edge_tensor k; memset(&k, 0, sizeof k); k.data = keys; k.data_bytes = sizeof keys;
                edge_tensor v; memset(&v, 0, sizeof v); v.data = values; v.data_bytes = sizeof values;
                if (edge_value_map(p, "output_probability", &r, 1, &k, &v) != 0) { fprintf(stderr, "map: %s\n", edge_last_error()); return 1; }
                printf("row %d:", r);
                for (int i = 0; i < 3; i++) printf(" %lld=%.6f", (long long)keys[i], values[i]);
                printf("\n");
            }
            int64_t labels[2];
            edge_tensor l; memset(&l, 0, sizeof l); l.data = labels; l.data_bytes = sizeof labels;
            edge_value_tensor(p, "label", NULL, 0, &l);
            printf("label %lld %lld\n", (long long)labels[0], (long long)labels[1]);
            int32_t bad = 5;
            rc = edge_value_info(p, "output_probability", &bad, 1, &kind, NULL);
            printf("bad path: %d %s\n", rc, edge_last_error());
            rc = edge_value_tensor(p, "output_probability", NULL, 0, &l);
            printf("not a tensor: %d %s\n", rc, edge_last_error());
            edge_prediction_free(p);
            edge_prediction_free(NULL);

            /* 2. sequence of tensors and string-keyed maps */
            edge_model *seq = open_model(argv[2]);
            if (!seq) return 1;
            float x[3] = {1.0f, -2.0f, 3.0f};
            int64_t xs[2] = {1, 3};
            edge_tensor sx = input("x", EDGE_FLOAT, 2, xs, x, sizeof x);
            if (edge_predict_values(seq, &sx, 1, &p) != 0) { fprintf(stderr, "predict: %s\n", edge_last_error()); return 1; }
            edge_value_info(p, "parts", NULL, 0, &kind, &count);
            printf("parts kind=%d count=%lld\n", kind, (long long)count);
            for (int32_t i = 0; i < count; i++) {
                float part[3];
                edge_tensor t; memset(&t, 0, sizeof t); t.data = part; t.data_bytes = sizeof part;
                edge_value_tensor(p, "parts", &i, 1, &t);
                printf("part %d rank=%d shape=[%lld,%lld] %.1f %.1f %.1f\n", i, t.rank, (long long)t.shape[0], (long long)t.shape[1], part[0], part[1], part[2]);
            }
            int32_t first = 0;
            edge_value_info(p, "named_scores", &first, 1, &kind, &count);
            float scores[3];
            edge_tensor sv; memset(&sv, 0, sizeof sv); sv.data = scores; sv.data_bytes = sizeof scores;
            edge_value_map(p, "named_scores", &first, 1, NULL, &sv);
            printf("named_scores[0] kind=%d:", kind);
            for (int64_t i = 0; i < count; i++) {
                const char *key = NULL;
                edge_value_map_string_key(p, "named_scores", &first, 1, i, &key);
                printf(" %s=%.6f", key, scores[i]);
            }
            printf("\n");
            edge_prediction_free(p);
            edge_model_close(seq);

            /* 3. optional outputs: a present one is its value, an absent one EDGE_VALUE_NONE */
            edge_model *opt = open_model(argv[3]);
            if (!opt) return 1;
            int32_t okind = -1, oopt = -1;
            edge_model_output_kind(opt, 2, &okind, &oopt);
            float ox[2] = {1.5f, -2.0f};
            int64_t os[1] = {2};
            edge_tensor oin = input("x", EDGE_FLOAT, 1, os, ox, sizeof ox);
            if (edge_predict_values(opt, &oin, 1, &p) != 0) { fprintf(stderr, "optional: %s\n", edge_last_error()); return 1; }
            int32_t pk = -1, ak = -1; int64_t pc = -1, ac = -1;
            edge_value_info(p, "present", NULL, 0, &pk, &pc);
            edge_value_info(p, "absent", NULL, 0, &ak, &ac);
            float present[2] = {0, 0};
            edge_tensor pt; memset(&pt, 0, sizeof pt); pt.data = present; pt.data_bytes = sizeof present;
            rc = edge_value_tensor(p, "present", NULL, 0, &pt);
            printf("optional output 2 kind=%d optional=%d; present kind=%d count=%lld rc=%d %.2f %.2f; absent kind=%d count=%lld\n",
                   okind, oopt, pk, (long long)pc, rc, present[0], present[1], ak, (long long)ac);
            rc = edge_value_tensor(p, "absent", NULL, 0, &pt);
            printf("absent as tensor: %d\n", rc);
            edge_prediction_free(p);
            edge_tensor tout; memset(&tout, 0, sizeof tout); tout.name = "present"; tout.data = present; tout.data_bytes = sizeof present;
            int present_rc = edge_predict(opt, &oin, 1, &tout, 1);
            tout.name = "absent";
            printf("edge_predict on optionals: present %d, absent %d %s\n", present_rc, edge_predict(opt, &oin, 1, &tout, 1), edge_last_error());
            edge_model_close(opt);
            /* 4. bfloat16 in and out */
            edge_model *bf = open_model(argv[4]);
            if (!bf) return 1;
            uint16_t bx[2] = {0x3FC0, 0xC049}; /* 1.5, -3.140625 */
            float by[2] = {0.1f, 65504.0f};
            int64_t bs[1] = {2};
            edge_tensor bin[2] = { input("x", EDGE_BFLOAT16, 1, bs, bx, sizeof bx), input("y", EDGE_FLOAT, 1, bs, by, sizeof by) };
            uint16_t same[2], narrowed[2]; float widened[2];
            edge_tensor bout[3];
            memset(bout, 0, sizeof bout);
            bout[0].name = "same"; bout[0].data = same; bout[0].data_bytes = sizeof same;
            bout[1].name = "widened"; bout[1].data = widened; bout[1].data_bytes = sizeof widened;
            bout[2].name = "narrowed"; bout[2].data = narrowed; bout[2].data_bytes = sizeof narrowed;
            if (edge_predict(bf, bin, 2, bout, 3) != 0) { fprintf(stderr, "bf16: %s\n", edge_last_error()); return 1; }
            printf("bf16 same=%04x,%04x type=%d widened=%.6f,%.6f narrowed=%04x,%04x\n", same[0], same[1], bout[0].element_type, widened[0], widened[1], narrowed[0], narrowed[1]);
            edge_model_close(bf);
            return 0;
        }
        """;

    private readonly string _lib;
    private readonly TempDirectory _temp = new();

    public NativeValueTests(AotArtifacts artifacts)
    {
        _lib = artifacts.RequireNativeLibrary();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CProgram_SequencesMapsAndBFloat16_PrintsWhatTheDotNetApiComputes()
    {
        var source = _temp.File("values.c");
        File.WriteAllText(source, Source);
        var binary = _temp.File("values");
        var gcc = ProcessRunner.Run("gcc", ["-Wall", "-Werror", "-I" + Path.Combine(_lib, "include"), source, "-L" + _lib, "-ledgeruntime", "-Wl,-rpath," + _lib, "-o", binary], TimeSpan.FromMinutes(1));
        Assert.True(gcc.ExitCode == 0, gcc.All);

        var run = ProcessRunner.Run(binary, [Repo.Model("iris_zipmap.onnx"), Repo.Model("sequence_outputs.onnx"), Repo.Model("optional_outputs.onnx"), Repo.Model("bfloat16.onnx")], TimeSpan.FromMinutes(1));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(Expected(), run.StdOut.ReplaceLineEndings("\n"));
    }

    private static string Expected()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append("zipmap output 1 kind=2 optional=0\n");
        text.Append("edge_predict on a sequence: 17 InvalidOutput: Output 'output_probability' is a sequence, not a tensor; read it with edge_predict_values.\n");
        using (var zip = EdgeModel.Load(Repo.Model("iris_zipmap.onnx")))
        {
            var prediction = zip.Predict("features", EdgeTensor.Create([6.7f, 3.0f, 5.2f, 2.3f, 5.1f, 3.5f, 1.4f, 0.2f], [2, 4]));
            var rows = prediction.GetValue("output_probability");
            text.Append(c, $"output_probability kind=2 count={rows.Count}\n");
            for (var r = 0; r < rows.Count; r++)
            {
                text.Append(c, $"row {r}:");
                var keys = rows.Items[r].Keys.AsSpan<long>();
                var values = rows.Items[r].MapValues.AsSpan<float>();
                for (var i = 0; i < keys.Length; i++)
                {
                    text.Append(c, $" {keys[i]}={(double)values[i]:F6}");
                }

                text.Append('\n');
            }

            var labels = prediction["label"].AsSpan<long>();
            text.Append(c, $"label {labels[0]} {labels[1]}\n");
        }

        text.Append("bad path: 1 InvalidArgument: Item 5 of 'output_probability' is outside 0..1.\n");
        text.Append("not a tensor: 17 InvalidOutput: The value is a sequence, not a tensor.\n");
        text.Append("parts kind=2 count=2\n");
        text.Append("part 0 rank=2 shape=[1,3] 1.0 -2.0 3.0\n");
        text.Append("part 1 rank=2 shape=[1,3] 1.0 0.0 3.0\n");
        using (var seq = EdgeModel.Load(Repo.Model("sequence_outputs.onnx")))
        {
            var map = seq.Predict("x", EdgeTensor.Create([1f, -2f, 3f], [1, 3])).GetValue("named_scores").Items[0];
            text.Append("named_scores[0] kind=3:");
            var keys = map.Keys.AsSpan<string>();
            var values = map.MapValues.AsSpan<float>();
            for (var i = 0; i < keys.Length; i++)
            {
                text.Append(c, $" {keys[i]}={(double)values[i]:F6}");
            }

            text.Append('\n');
        }

        text.Append("optional output 2 kind=1 optional=1; present kind=1 count=2 rc=0 1.50 -2.00; absent kind=0 count=0\n");
        text.Append("absent as tensor: 17\n");
        text.Append("edge_predict on optionals: present 0, absent 17 InvalidOutput: Output 'absent' is a none, not a tensor; read it with edge_predict_values.\n");
        var narrowed = new[] { 0.1f, 65504f }.Select(f => (ushort)(BitConverter.SingleToUInt32Bits(f) + 0x7FFF + ((BitConverter.SingleToUInt32Bits(f) >> 16) & 1) >> 16)).ToArray();
        text.Append(c, $"bf16 same=3fc0,c049 type=16 widened=1.500000,-3.140625 narrowed={narrowed[0]:x4},{narrowed[1]:x4}\n");
        return text.ToString();
    }
}
