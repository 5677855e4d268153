using System.Runtime.CompilerServices;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>
/// Labelled predictions of one version out of the server, for retraining: read from <see cref="ITelemetryStore"/> in
/// bounded pages (each one query), with slice names, ground truth and, where devices recorded them, the raw inputs as one
/// value per feature.
/// <para>
/// Columns: a tabular model (one [batch, F] input with F manifest features) gets the manifest's feature names; otherwise
/// each input is a column (one element) or <c>name[i]</c> per element of its fixed shape.
/// </para>
/// <para>
/// Drifted only: the window's drift (<see cref="MonitoringQueries.DriftAsync"/>, judged by <see cref="DriftAssessment"/>)
/// names the shifted numeric input features; a row is exported when its inputs were recorded and, for at least one
/// shifted feature, its value falls in a reference bin whose observed share exceeds the training share (a bin the
/// traffic drifted towards). No shifted feature: nothing is exported.
/// </para>
/// </summary>
internal sealed class PredictionExport(ITelemetryStore telemetry, PackageFacts facts, MonitoringQueries monitoring, TimeProvider time)
{
    /// <summary>Rows per page when the request names none.</summary>
    public const int DefaultPageSize = 1000;

    /// <summary>Most rows per page.</summary>
    public const int MaxPageSize = 5000;

    /// <summary>The window when the request names no start: this long before its end.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(7);

    /// <summary>Checks the request and works out its columns and filters (throws before the first page is sent).</summary>
    /// <exception cref="RejectedException">Unpublished version, unknown slice, bad range or page size, or drifted-only without a drift reference.</exception>
    public async Task<Plan> PlanAsync(string model, string version, long sinceUnixMs, long untilUnixMs, IReadOnlyList<string> slices, bool driftedOnly, bool includeUnlabelled, int pageSize, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var until = untilUnixMs == 0 ? now + 1 : untilUnixMs;
        var since = sinceUnixMs == 0 ? until - (long)DefaultWindow.TotalMilliseconds : sinceUnixMs;
        if (since < 0 || until <= since)
        {
            throw RejectedException.Invalid("the time range must be non-empty (since < until).");
        }

        if (pageSize is < 0 or > MaxPageSize)
        {
            throw RejectedException.Invalid($"page_size must be 1-{MaxPageSize} (0: {DefaultPageSize}).");
        }

        var manifest = await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"{model} {version} is not published.");
        var cardSlices = manifest.ModelCard.Slices;
        ulong mask = 0;
        foreach (var name in slices)
        {
            var bit = cardSlices.Select(s => s.Name).ToList().IndexOf(name);
            if (bit is < 0 or >= 64 || cardSlices[bit].Where is null)
            {
                throw RejectedException.Invalid($"slice '{name}' is not a model-card slice with conditions of {model} {version} (it has: {string.Join(", ", cardSlices.Where(s => s.Where is not null).Select(s => s.Name))}).");
            }

            mask |= 1UL << bit;
        }

        var columns = Columns(manifest);
        var drifted = new List<(int Column, IReadOnlyList<double> Edges, bool[] Towards, string Name)>();
        if (driftedOnly)
        {
            var (scores, _) = await monitoring.DriftAsync(model, version, since, until, cancellationToken).ConfigureAwait(false);
            var reference = manifest.DriftReference!;
            foreach (var score in scores.Where(s => s is { Shifted: true, IsOutput: false }))
            {
                var distribution = reference.Features.FirstOrDefault(f => f.Name == score.Score.Name);
                var column = columns.IndexOf(score.Score.Name);
                if (distribution is not { Kind: FeatureKind.Numeric, BinEdges: { Count: > 1 } edges } || column < 0)
                {
                    continue; // categorical features and features without a column cannot be placed in a bin
                }

                var towards = new bool[distribution.Fractions.Count];
                for (var b = 0; b < towards.Length && b < score.Score.ObservedFractions.Count; b++)
                {
                    towards[b] = score.Score.ObservedFractions[b] > distribution.Fractions[b];
                }

                drifted.Add((column, edges, towards, score.Score.Name));
            }
        }

        var query = new PredictionExportQuery(model, version, since, until, mask, includeUnlabelled, driftedOnly, now);
        return new Plan(query, columns, [.. cardSlices.Take(64).Select(s => s.Name)], driftedOnly, drifted, pageSize == 0 ? DefaultPageSize : pageSize);
    }

    /// <summary>The export's pages, each at most the plan's page size (the last may be empty).</summary>
    public async IAsyncEnumerable<IReadOnlyList<Row>> PagesAsync(Plan plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.DriftedOnly && plan.Drifted.Count == 0)
        {
            yield break; // nothing has shifted: no row drifted
        }

        var after = ExportCursor.Start;
        while (true)
        {
            var page = await telemetry.ExportPageAsync(plan.Query, after, plan.PageSize, cancellationToken).ConfigureAwait(false);
            var rows = new List<Row>(page.Count);
            foreach (var p in page)
            {
                var inputs = p.RawInputs is { } raw ? Values(TelemetryCodec.DecodeTensors(raw), plan.Columns) : null;
                if (plan.DriftedOnly && (inputs is null || !plan.Drifted.Any(d => InDriftedBin(inputs[d.Column], d.Edges, d.Towards))))
                {
                    continue;
                }

                var slices = new List<string>();
                for (var bit = 0; bit < plan.SliceNames.Count; bit++)
                {
                    if ((p.Slices & (1UL << bit)) != 0)
                    {
                        slices.Add(plan.SliceNames[bit]);
                    }
                }

                rows.Add(new Row(p.PredictionId, p.DeviceId, p.TimestampMs, slices, inputs, p.Predicted, p.Label));
            }

            if (rows.Count > 0 || page.Count < plan.PageSize)
            {
                yield return rows;
            }

            if (page.Count < plan.PageSize)
            {
                yield break;
            }

            after = page[^1].Cursor;
        }
    }

    /// <summary>The export's input columns for a manifest (see the class remarks).</summary>
    internal static List<string> Columns(PackageManifest manifest)
    {
        var inputs = manifest.Schema.Inputs;
        if (inputs.Count == 1 && inputs[0].Shape.Count == 2 && manifest.Features.Count > 0 && inputs[0].Shape[1] == manifest.Features.Count)
        {
            return [.. manifest.Features.Select(f => f.Name)];
        }

        var columns = new List<string>();
        foreach (var input in inputs)
        {
            var elements = input.Shape.Aggregate(1L, (n, d) => n * Math.Max(1, d));
            if (elements == 1)
            {
                columns.Add(input.Name);
            }
            else
            {
                for (var i = 0; i < Math.Min(elements, 4096); i++)
                {
                    columns.Add($"{input.Name}[{i}]");
                }
            }
        }

        return columns;
    }

    /// <summary>The recorded tensors as one value per column, in column order (NaN where a tensor lacks the element).</summary>
    private static double[] Values(IReadOnlyDictionary<string, EdgeTensor> tensors, List<string> columns)
    {
        var values = new double[columns.Count];
        if (tensors.Count == 1 && tensors.Values.First() is { Rank: 2 } table && table.Shape[1] == columns.Count && !columns.Contains(tensors.Keys.First()) && !columns.Contains($"{tensors.Keys.First()}[0]"))
        {
            // Tabular: column i is the feature in the first row's element i.
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = table.ValueAt(i);
            }

            return values;
        }

        for (var c = 0; c < columns.Count; c++)
        {
            var name = columns[c];
            var bracket = name.EndsWith(']') ? name.LastIndexOf('[') : -1;
            values[c] = bracket > 0 && tensors.TryGetValue(name[..bracket], out var t) && int.TryParse(name.AsSpan(bracket + 1, name.Length - bracket - 2), out var index)
                ? t.ValueAt(index)
                : tensors.TryGetValue(name, out var single) ? single.ValueAt(0) : double.NaN;
        }

        return values;
    }

    /// <summary>Whether <paramref name="value"/> falls in a bin marked in <paramref name="towards"/> (outer bins open-ended, as devices bin).</summary>
    private static bool InDriftedBin(double value, IReadOnlyList<double> edges, bool[] towards)
    {
        if (double.IsNaN(value))
        {
            return false;
        }

        var last = edges.Count - 2;
        var bin = last;
        for (var b = 0; b < last; b++)
        {
            if (value < edges[b + 1])
            {
                bin = b;
                break;
            }
        }

        return bin >= 0 && bin < towards.Length && towards[bin];
    }

    /// <summary>A checked export request.</summary>
    internal sealed record Plan(
        PredictionExportQuery Query, List<string> Columns, IReadOnlyList<string> SliceNames, bool DriftedOnly,
        IReadOnlyList<(int Column, IReadOnlyList<double> Edges, bool[] Towards, string Name)> Drifted, int PageSize);

    /// <summary>One exported row.</summary>
    internal sealed record Row(Guid PredictionId, string DeviceId, long TimestampMs, IReadOnlyList<string> Slices, double[]? Inputs, double Predicted, double? Label);
}
