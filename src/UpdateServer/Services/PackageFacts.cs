using System.Collections.Concurrent;
using System.Text.Json;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.UpdateServer.Services;

/// <summary>What the server needs to know about a published version's confidence spec, read once from its manifest.</summary>
internal sealed class PackageFacts(IUpdateStore store, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string, string), Facts> _facts = new();

    /// <summary>Accuracy (higher is better) for classifiers; mean absolute error for regressors (MAE/RMSE metrics).</summary>
    public async Task<(bool HigherIsBetter, string Name)> MetricKindAsync(string model, string version, CancellationToken cancellationToken)
    {
        var facts = await GetAsync(model, version, cancellationToken).ConfigureAwait(false);
        return facts.Metric is "Mae" or "Rmse" ? (false, "mae") : (true, "accuracy");
    }

    /// <summary>The output that holds the prediction (the confidence spec's), or null when unknown.</summary>
    public async Task<string?> LabelOutputAsync(string model, string version, CancellationToken cancellationToken) =>
        (await GetAsync(model, version, cancellationToken).ConfigureAwait(false)).Output;

    private async Task<Facts> GetAsync(string model, string version, CancellationToken cancellationToken)
    {
        if (_facts.TryGetValue((model, version), out var known) && (known.Published || time.GetUtcNow() - known.CheckedAt < UnpublishedRecheck))
        {
            return known;
        }

        var facts = new Facts("Accuracy", null, false, time.GetUtcNow());
        if (await store.GetPackageAsync(model, version, cancellationToken).ConfigureAwait(false) is { } package)
        {
            using var manifest = JsonDocument.Parse(package.ManifestJson);
            if (manifest.RootElement.TryGetProperty("confidence", out var confidence))
            {
                facts = facts with
                {
                    Metric = confidence.TryGetProperty("metric", out var m) ? m.GetString() ?? "Accuracy" : "Accuracy",
                    Output = confidence.TryGetProperty("output", out var o) ? o.GetString() : null,
                };
            }

            facts = facts with { Published = true }; // versions are immutable, so published facts never change
        }

        // Telemetry may name a version the registry does not hold (side-loaded): remember that for a while rather than
        // asking the database on every record.
        _facts[(model, version)] = facts;
        return facts;
    }

    private static readonly TimeSpan UnpublishedRecheck = TimeSpan.FromMinutes(1);

    private sealed record Facts(string Metric, string? Output, bool Published, DateTimeOffset CheckedAt);
}
