using System.CommandLine;
using System.Globalization;
using EdgeDeploy.Protos.V1;
using Grpc.Core;
using nietras.SeparatedValues;
using Parquet;
using Parquet.Schema;

namespace EdgeDeploy.Cli.Commands;

/// <summary>
/// <c>edge monitor export</c>: labelled predictions of one version out of the server for retraining, as CSV (Sep) or
/// Parquet (Parquet.Net's column API: <c>DataField&lt;T&gt;</c> and <c>WriteAsync</c>, no serializer; Parquet.Net is not
/// annotated for trimming, and its three detailed AOT warnings are in reflection helpers these column types do not need,
/// see README). The server streams
/// bounded pages; each page is written as it arrives (one Parquet row group per page) into FILE.partial, renamed to FILE
/// once complete, so a pipeline never reads half an export.
/// </summary>
internal static class ExportCommand
{
    /// <summary>The columns every export has, before the feature columns.</summary>
    internal static readonly string[] FixedColumns = ["prediction_id", "time", "device_id", "model", "version", "slices", "predicted", "label", "has_inputs"];

    private const string Description = """
        Export labelled predictions of one version for retraining: prediction id, time (UTC), device, model, version, the model-card slices it fell in (';'-separated), the predicted class or value, the ground-truth label, whether the raw inputs were recorded, then one column per feature (the inputs, where devices recorded them; empty otherwise).
        Defaults: the last 7 days (--since/--until narrow it), only predictions with ground truth (--include-unlabelled adds the rest), every slice (--slice picks some).
        --drifted-only: the rows whose inputs were recorded and where at least one feature the window's drift calls shifted (see `edge monitor drift`: enough samples, two-sample test p < 0.01 and PSI > 0.2) has its value in a reference bin whose observed share exceeds the training share, a bin the traffic drifted towards. Nothing shifted: the export is empty.
        Raw inputs are recorded only by devices that sample them (`edge agent --raw-input-sample`) for versions whose model card allows it (privacy.rawInputs Allowed).
        """;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name.", Required = true };
        var version = new Option<string>("--version") { Description = "Model version.", Required = true };
        var since = new Option<DateTimeOffset?>("--since") { Description = "From this time (ISO 8601, e.g. 2026-01-31T12:00:00Z); default 7 days before --until." };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Up to this time (exclusive); default now." };
        var slices = new Option<string[]>("--slice") { Description = "Only predictions in this model-card slice (repeatable: any of them)." };
        var drifted = new Option<bool>("--drifted-only") { Description = "Only predictions whose recorded inputs fall where a shifted feature drifted (see above)." };
        var unlabelled = new Option<bool>("--include-unlabelled") { Description = "Also predictions without ground truth (label left empty)." };
        var format = new Option<string>("--format") { Description = "csv or parquet.", Required = true };
        format.AcceptOnlyFromAmong("csv", "parquet");
        var output = new Option<string>("--out") { Description = "File to write (replaced when the export completes).", Required = true };
        var pageSize = new Option<int>("--page-size") { Description = "Rows per page the server sends (1-5000).", DefaultValueFactory = _ => 1000 };
        var server = new FleetConnection();
        var command = new Command("export", Description) { model, version, since, until, slices, drifted, unlabelled, format, output, pageSize, server };
        command.SetAction((r, ct) => FleetCommands.GuardChannel(
            async channel =>
            {
                var registry = new RegistryService.RegistryServiceClient(channel);
                var request = new ExportPredictionsRequest
                {
                    Model = r.GetValue(model)!, Version = r.GetValue(version)!, SinceUnixMs = r.GetValue(since)?.ToUnixTimeMilliseconds() ?? 0,
                    UntilUnixMs = r.GetValue(until)?.ToUnixTimeMilliseconds() ?? 0, DriftedOnly = r.GetValue(drifted), IncludeUnlabelled = r.GetValue(unlabelled), PageSize = r.GetValue(pageSize),
                };
                request.Slices.AddRange(r.GetValue(slices) ?? []);
                var path = Path.GetFullPath(r.GetValue(output)!);
                var partial = path + ".partial";
                using var call = registry.ExportPredictions(request, cancellationToken: ct);
                (long Rows, long WithInputs, IReadOnlyList<string> Drifted) written;
                try
                {
                    written = r.GetValue(format) == "parquet"
                        ? await WriteParquetAsync(call.ResponseStream, partial, ct)
                        : await WriteCsvAsync(call.ResponseStream, partial, ct);
                }
                catch
                {
                    File.Delete(partial);
                    throw;
                }

                File.Move(partial, path, overwrite: true);
                var note = request.DriftedOnly ? written.Drifted.Count == 0 ? " (no feature has shifted in the window)" : $" (shifted: {string.Join(", ", written.Drifted)})" : string.Empty;
                Console.WriteLine($"exported {written.Rows} predictions of {request.Model} {request.Version} ({written.WithInputs} with inputs){note} to {r.GetValue(output)}");
            },
            r,
            server,
            ct));
        return command;
    }

    private static async Task<(long, long, IReadOnlyList<string>)> WriteCsvAsync(IAsyncStreamReader<ExportPredictionsPage> pages, string path, CancellationToken ct)
    {
        long rows = 0, withInputs = 0;
        IReadOnlyList<string> features = [], drifted = [];
        using var writer = Sep.New(',').Writer(o => o with { Escape = true, CultureInfo = CultureInfo.InvariantCulture }).ToFile(path);
        await foreach (var page in pages.ReadAllAsync(ct))
        {
            (features, drifted) = (page.Features, page.DriftedFeatures);
            foreach (var p in page.Rows)
            {
                using var row = writer.NewRow();
                row["prediction_id"].Set(p.PredictionId);
                row["time"].Set(Time(p.TimestampUnixMs));
                row["device_id"].Set(p.DeviceId);
                row["model"].Set(p.Model);
                row["version"].Set(p.Version);
                row["slices"].Set(string.Join(';', p.Slices));
                row["predicted"].Set(Number(p.Predicted));
                row["label"].Set(p.HasLabel ? Number(p.Label) : string.Empty);
                row["has_inputs"].Set(p.HasInputs ? "true" : "false");
                for (var f = 0; f < features.Count; f++)
                {
                    row[features[f]].Set(p.HasInputs && f < p.Inputs.Count ? Number(p.Inputs[f]) : string.Empty);
                }

                rows++;
                withInputs += p.HasInputs ? 1 : 0;
            }
        }

        if (rows == 0)
        {
            // Sep writes its header with the first row: an empty export still gets its columns.
            writer.Dispose();
            await File.WriteAllTextAsync(path, string.Join(',', FixedColumns.Concat(features).Select(Quote)) + Environment.NewLine, ct);
        }

        return (rows, withInputs, drifted);
    }

    private static async Task<(long, long, IReadOnlyList<string>)> WriteParquetAsync(IAsyncStreamReader<ExportPredictionsPage> pages, string path, CancellationToken ct)
    {
        long rows = 0, withInputs = 0;
        IReadOnlyList<string> drifted = [];
        await using var stream = File.Create(path);
        ParquetWriter? writer = null;
        ParquetSchema? schema = null;
        try
        {
            await foreach (var page in pages.ReadAllAsync(ct))
            {
                drifted = page.DriftedFeatures;
                if (writer is null)
                {
                    schema = Schema(page.Features);
                    writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: ct);
                }
                if (page.Rows.Count == 0)
                {
                    continue;
                }

                var fields = schema!.DataFields;
                var r = page.Rows;
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(fields[0], [.. r.Select(p => p.PredictionId)]);
                await group.WriteAsync<DateTime>(fields[1], r.Select(p => DateTimeOffset.FromUnixTimeMilliseconds(p.TimestampUnixMs).UtcDateTime).ToArray(), cancellationToken: ct);
                await group.WriteAsync(fields[2], [.. r.Select(p => p.DeviceId)]);
                await group.WriteAsync(fields[3], [.. r.Select(p => p.Model)]);
                await group.WriteAsync(fields[4], [.. r.Select(p => p.Version)]);
                await group.WriteAsync(fields[5], [.. r.Select(p => string.Join(';', p.Slices))]);
                await group.WriteAsync<double>(fields[6], r.Select(p => p.Predicted).ToArray(), cancellationToken: ct);
                await group.WriteAsync<double>(fields[7], r.Select(p => p.HasLabel ? p.Label : (double?)null).ToArray(), cancellationToken: ct);
                await group.WriteAsync<bool>(fields[8], r.Select(p => p.HasInputs).ToArray(), cancellationToken: ct);
                for (var f = FixedColumns.Length; f < fields.Length; f++)
                {
                    var index = f - FixedColumns.Length;
                    await group.WriteAsync<double>(fields[f], r.Select(p => p.HasInputs && index < p.Inputs.Count ? p.Inputs[index] : (double?)null).ToArray(), cancellationToken: ct);
                }

                group.CompleteValidate();
                rows += r.Count;
                withInputs += r.Count(p => p.HasInputs);
            }

            writer ??= await ParquetWriter.CreateAsync(Schema([]), stream, cancellationToken: ct);
        }
        finally
        {
            if (writer is not null)
            {
                await writer.DisposeAsync();
            }
        }

        return (rows, withInputs, drifted);
    }

    /// <summary>The Parquet schema: the fixed columns (time as a UTC timestamp, label and inputs nullable), then one nullable double per feature.</summary>
    private static ParquetSchema Schema(IReadOnlyList<string> features) => new(
    [
        new DataField<string>("prediction_id"),
        new DateTimeDataField("time", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis),
        new DataField<string>("device_id"),
        new DataField<string>("model"),
        new DataField<string>("version"),
        new DataField<string>("slices"),
        new DataField<double>("predicted"),
        new DataField<double?>("label"),
        new DataField<bool>("has_inputs"),
        .. features.Select(f => new DataField<double?>(f)),
    ]);

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Round-trip text of a double ("R"), empty for NaN.</summary>
    private static string Number(double value) => double.IsNaN(value) ? string.Empty : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string field) => field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : '"' + field.Replace("\"", "\"\"", StringComparison.Ordinal) + '"';
}
