using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

/// <summary><c>edge info PKG</c>: the model card and the rest of the manifest, unverified (use <c>edge verify</c> for trust).</summary>
internal static class PackageInfo
{
    public static void WriteText(PackageManifest m)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"package:   {m.Name} {m.Version} (unverified; run `edge verify` to check signatures)");
        Console.WriteLine($"created:   {m.Created:O}, expires {m.Expires:O}");
        Console.WriteLine($"purpose:   {m.ModelCard.Purpose}");
        Console.WriteLine($"use:       {m.ModelCard.IntendedUse}");
        Console.WriteLine($"source:    {m.ModelCard.Provenance}");
        foreach (var l in m.ModelCard.Limitations)
        {
            Console.WriteLine($"limit:     {l}");
        }

        Console.WriteLine($"metrics:   {string.Join(", ", m.ModelCard.Metrics.Select(kv => string.Create(c, $"{kv.Key}={kv.Value:G4}")))}");
        foreach (var s in m.ModelCard.Slices)
        {
            Console.WriteLine($"  slice {s.Name} (n={s.Count}): {string.Join(", ", s.Metrics.Select(kv => string.Create(c, $"{kv.Key}={kv.Value:G4}")))}");
        }

        Console.WriteLine($"lineage:   data {m.VersionSync.TrainingData}, features {m.VersionSync.FeatureExtractor}, model {m.VersionSync.Model}");
        Console.WriteLine($"requires:  runtime >= {m.Requirements.MinRuntimeVersion}, opset {m.Requirements.Opset}, provider {m.Requirements.ExecutionProvider}");
        Console.WriteLine($"built:     by {m.Audit.BuiltBy} at {m.Audit.BuiltAt:O}; approved by {m.Audit.ApprovedBy ?? "-"} ({m.Audit.ApprovalGrounds ?? "-"})");
        Console.WriteLine(string.Create(c, $"gate:      {m.EndToEnd.Count} end-to-end cases (abs {m.EndToEnd.AbsoluteTolerance:G3}, rel {m.EndToEnd.RelativeTolerance:G3}); {m.Confidence.Metric} on '{m.Confidence.Output}' over {m.Confidence.Count} cases in [{m.Confidence.Min:G4}, {m.Confidence.Max:G4}]"));
        Console.WriteLine("inputs:");
        foreach (var t in m.Schema.Inputs)
        {
            Console.WriteLine($"  {t.Name}: {t.ElementType.ToString().ToLowerInvariant()}[{string.Join(", ", t.Shape)}]");
        }

        Console.WriteLine("outputs:");
        foreach (var t in m.Schema.Outputs)
        {
            Console.WriteLine($"  {t.Name}: {t.ElementType.ToString().ToLowerInvariant()}[{string.Join(", ", t.Shape)}]");
        }

        Console.WriteLine("files:");
        foreach (var f in m.Files)
        {
            Console.WriteLine($"  {f.Path} {f.Size} bytes sha256:{f.Sha256}");
        }
    }

    public static void WriteJson(string path)
    {
        var manifest = PackageVerifier.ReadUnverifiedManifest(path);
        using var stdout = Console.OpenStandardOutput();
        JsonSerializer.Serialize(stdout, manifest, CliJsonContext.Default.PackageManifest);
        stdout.WriteByte((byte)'\n');
    }
}
