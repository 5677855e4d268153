using System.Collections.Concurrent;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.Packages;

/// <summary>Published versions' manifests (verified on upload), parsed once: metric kind, label output, drift reference.</summary>
internal sealed class PackageFacts(IUpdateStore store, TimeProvider time)
{
    private static readonly TimeSpan UnpublishedRecheck = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string, string), Entry> _entries = new();

    /// <summary>Accuracy (higher is better) for classifiers; mean absolute error for regressors (MAE/RMSE metrics).</summary>
    public async Task<(bool HigherIsBetter, string Name)> MetricKindAsync(string model, string version, CancellationToken cancellationToken)
    {
        var manifest = await ManifestAsync(model, version, cancellationToken).ConfigureAwait(false);
        return manifest?.Confidence.Metric is ConfidenceMetric.Mae or ConfidenceMetric.Rmse ? (false, "mae") : (true, "accuracy");
    }

    /// <summary>The verified manifest of a published version, or null when the registry does not hold it.</summary>
    public async Task<PackageManifest?> ManifestAsync(string model, string version, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue((model, version), out var known) && (known.Manifest is not null || time.GetUtcNow() - known.CheckedAt < UnpublishedRecheck))
        {
            return known.Manifest;
        }

        var package = await store.GetPackageAsync(model, version, cancellationToken).ConfigureAwait(false);
        var manifest = package is null ? null : PackageVerifier.ParseVerifiedManifest(package.ManifestJson);

        // Versions are immutable, so a published manifest never changes. Telemetry may name a version the registry does
        // not hold (side-loaded): remember that for a while rather than asking the database on every record.
        _entries[(model, version)] = new Entry(manifest, time.GetUtcNow());
        return manifest;
    }

    private sealed record Entry(PackageManifest? Manifest, DateTimeOffset CheckedAt);
}
