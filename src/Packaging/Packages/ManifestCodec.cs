using System.Text.RegularExpressions;
using EdgeDeploy.Runtime.Telemetry;
using Semver;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Manifest bytes ⇄ <see cref="PackageManifest"/>, enforcing canonical form and field rules.</summary>
internal static partial class ManifestCodec
{
    public static byte[] Serialize(PackageManifest manifest) => PackageJsonContext.Serialize(manifest, PackageJsonContext.Default.PackageManifest);

    public static PackageManifest Parse(byte[] bytes)
    {
        var manifest = PackageJsonContext.Parse(bytes, PackageJsonContext.Default.PackageManifest, EdgeErrorCode.ManifestMalformed, "The manifest");

        // Only the exact bytes our serialiser writes are accepted, so two parsers can never read one manifest differently.
        if (!Serialize(manifest).AsSpan().SequenceEqual(bytes))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, "The manifest is not in canonical form.");
        }

        Validate(manifest);
        return manifest;
    }

    /// <summary>Whether <paramref name="name"/> is a valid model name (safe as a file name: no separators, no leading dot).</summary>
    public static bool IsValidModelName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Whether <paramref name="version"/> is a strict semantic version (safe as a file name: only [0-9A-Za-z.+-]).</summary>
    public static bool IsValidVersion(string? version) => version is not null && SemVersion.TryParse(version, SemVersionStyles.Strict, out _);

    public static void Validate(PackageManifest m)
    {
        if (m.FormatVersion != 1)
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Manifest format {m.FormatVersion} is not supported; this runtime reads format 1.");
        }

        if (!IsValidModelName(m.Name))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Model name '{m.Name}' is invalid: use 1-64 lowercase letters, digits, '.', '-' or '_', starting with a letter or digit.");
        }

        if (!IsValidVersion(m.Version))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Version '{m.Version}' is not a semantic version (e.g. 1.2.0).");
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in m.Files)
        {
            if (!paths.Add(f.Path) || f.Size < 0 || f.Sha256.Length != 64 || f.Path is PackageArchive.ManifestPath or PackageArchive.SignaturesPath)
            {
                throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"File entry '{f.Path}' is invalid (duplicate, reserved name, negative size or malformed hash).");
            }
        }

        foreach (var required in new[] { m.ModelPath, m.EndToEnd.Path, m.Confidence.Path })
        {
            if (!paths.Contains(required))
            {
                throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"The manifest refers to '{required}' but does not list it among its files.");
            }
        }

        if (m.Confidence.Min > m.Confidence.Max || double.IsNaN(m.Confidence.Min) || double.IsNaN(m.Confidence.Max))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"The confidence range [{m.Confidence.Min}, {m.Confidence.Max}] is empty.");
        }

        ValidateSlices(m);
        ValidateGate(m, paths);
        ValidateFairness(m);
        ValidatePrivacy(m.ModelCard.Privacy);
    }

    private static void ValidateFairness(PackageManifest m)
    {
        if (m.ModelCard.Fairness is not { } f)
        {
            return;
        }

        var slices = m.ModelCard.Slices.Where(s => s.Where is { Count: > 0 }).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var group in f.Groups.Prepend(f.Reference))
        {
            Malformed(!slices.Contains(group), $"The fairness group '{group}' is not a model-card slice with conditions (a group is identified by a slice predicate over the model's inputs).");
        }

        Malformed(f.Groups.Count == 0 || f.Groups.Contains(f.Reference) || f.Groups.Distinct(StringComparer.Ordinal).Count() != f.Groups.Count, "Fairness needs at least one group, each named once and none the reference.");
        Malformed(f.Metrics.Count == 0 || f.Metrics.Any(x => !Enum.IsDefined(x)) || f.Metrics.Distinct().Count() != f.Metrics.Count, "Fairness needs at least one known metric, each named once.");
        Malformed(!(f.Min > 0) || !(f.Max >= f.Min) || !double.IsFinite(f.Max), $"The fairness range [{f.Min}, {f.Max}] must be positive, finite and not empty.");
        Malformed(f.MinGroupSize < 1 || f.PositiveClass < 0, "Fairness needs a minimum group size of at least 1 and a non-negative positive class.");
        Malformed(f.Output is not null && m.Schema.Outputs.All(o => o.Name != f.Output), $"Fairness reads output '{f.Output}', which the model does not have.");
    }

    private static void ValidatePrivacy(ModelPrivacy? privacy)
    {
        if (privacy is null)
        {
            return;
        }

        Malformed(!Enum.IsDefined(privacy.RawInputs), $"The model card's privacy policy rawInputs {(int)privacy.RawInputs} is unknown (use Forbidden or Allowed).");
        Malformed(privacy.RawInputs == RawInputPolicy.Allowed && string.IsNullOrWhiteSpace(privacy.Purpose), "The model card allows raw inputs but states no purpose (privacy.purpose).");
        Malformed(privacy.RetentionDays is not null and not (>= 1 and <= 3650), $"The model card's privacy.retentionDays must be 1-3650 (it is {privacy.RetentionDays}).");
    }

    private static void ValidateGate(PackageManifest m, HashSet<string> paths)
    {
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in m.EndToEnd.Outputs ?? [])
        {
            if (!outputs.Add(t.Output) || !(t.AbsoluteTolerance >= 0) || !(t.RelativeTolerance >= 0) || !double.IsFinite(t.AbsoluteTolerance) || !double.IsFinite(t.RelativeTolerance))
            {
                throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"The end-to-end tolerance of output '{t.Output}' is invalid (duplicate, negative or not finite).");
            }
        }

        foreach (var metric in m.Gate?.Metrics ?? [])
        {
            var name = metric.DisplayName();
            Malformed(!Enum.IsDefined(metric.Kind), $"Gate metric kind {(int)metric.Kind} is unknown.");
            Malformed(!double.IsFinite(metric.Min) || !double.IsFinite(metric.Max) || metric.Min > metric.Max, $"Gate metric {name}: the range [{metric.Min}, {metric.Max}] must be finite and not empty.");
            Malformed(metric.Kind == GateMetricKind.TopKAccuracy && metric.K is not (>= 1 and <= 1000), $"Gate metric {name} needs k between 1 and 1000.");
            Malformed(metric.Kind is GateMetricKind.CharacterErrorRate or GateMetricKind.WordErrorRate && (metric.Ctc is null || !paths.Contains(metric.Ctc.Vocabulary) || metric.Ctc.Blank < 0),
                $"Gate metric {name} needs CTC decoding with a vocabulary file listed among the manifest's files and a non-negative blank.");
            Malformed(metric.Kind == GateMetricKind.MeanAveragePrecision && (metric.Detection is not { } d || string.IsNullOrEmpty(d.Boxes) || string.IsNullOrEmpty(d.Scores) || string.IsNullOrEmpty(d.Classes) || !(d.IouThreshold > 0 && d.IouThreshold <= 1)),
                $"Gate metric {name} needs a detection layout (boxes, scores, classes outputs) and an IoU threshold in (0, 1].");
            Malformed(metric.Kind != GateMetricKind.MeanAveragePrecision && string.IsNullOrEmpty(metric.Output), $"Gate metric {name} needs the output it reads.");
            Malformed(metric.Slice is not null && m.ModelCard.Slices.All(s => s.Name != metric.Slice || s.Where is null), $"Gate metric {name} names slice '{metric.Slice}', which is not a model-card slice with conditions.");
        }

        foreach (var budget in m.Gate?.LatencyBudgets ?? [])
        {
            Malformed(!(budget.P95Milliseconds > 0) || !double.IsFinite(budget.P95Milliseconds) || budget.Runs is < 1 or > 10_000, $"A latency budget needs a positive, finite p95 and 1 to 10000 runs (it states {budget.P95Milliseconds} ms, {budget.Runs} runs).");
            Malformed(budget.Shape is { } shape && (shape.Count is 0 or > 16 || shape.Any(d => d is < 1 or > 1 << 24)), "A latency budget's shape needs 1 to 16 positive dimensions.");
            Malformed(budget.Input is not null && m.Schema.Inputs.All(i => i.Name != budget.Input), $"A latency budget names input '{budget.Input}', which the model does not have.");
        }
    }

    private static void Malformed(bool condition, string message)
    {
        if (condition)
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, message);
        }
    }

    private static void ValidateSlices(PackageManifest m)
    {
        var slices = m.ModelCard.Slices;
        if (slices.Count > SliceMatcher.MaxSlices)
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"The model card has {slices.Count} slices; at most {SliceMatcher.MaxSlices} are supported (devices tag predictions with a 64-bit slice mask).");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            if (string.IsNullOrEmpty(slice.Name) || !names.Add(slice.Name))
            {
                throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Slice names must be non-empty and unique; '{slice.Name}' is not.");
            }

            foreach (var c in slice.Where ?? [])
            {
                var feature = m.Features.FirstOrDefault(f => f.Name == c.Feature);
                if (feature is not { Kind: FeatureKind.Numeric })
                {
                    throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Slice '{slice.Name}' names feature '{c.Feature}', which is not a numeric feature of the manifest.");
                }

                if (c.Min is null && c.Max is null
                    || c.Min is { } min && !double.IsFinite(min)
                    || c.Max is { } max && !double.IsFinite(max)
                    || c.Min >= c.Max)
                {
                    throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Slice '{slice.Name}' condition on '{c.Feature}' needs finite bounds with min < max (at least one of them).");
                }
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
