using System.Globalization;
using System.Text.Json.Nodes;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using Parquet;

namespace EdgeDeploy.Tests.Cli;

/// <summary>
/// Retraining data out: real agents serve an iris version whose card allows raw inputs (one device samples them, one
/// does not), the AOT `edge monitor export` writes CSV and Parquet, and the rows are checked against what was served;
/// then the sample pipeline (samples/retrain/retrain.sh) retrains from the CSV, publishes and rolls out a new version
/// that a device installs through its gate.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class MonitorExportTests(AotArtifacts artifacts) : FleetCliTest(artifacts)
{
    private const string Model = "iris-classifier";

    [Fact]
    public async Task Export_LabelledFleetTelemetry_CsvAndParquetRowsMatchWhatTheAgentsServed_AndThePipelineRollsOutARetrainedVersion()
    {
        var card = AllowedCard();
        PackAndPublish(card, "1.0.0", Repo.Model("iris_classifier.onnx"), Repo.Model("iris_classifier.e2e.jsonl"), Repo.Model("iris_classifier.confidence.jsonl"), Repo.Model("iris_classifier.train.csv"));
        Ok("rollout", "create", "--model", Model, "--version", "1.0.0");
        using var sampling = new FleetDevice(Server, "kiosk-sampling", withTelemetry: true, rawInputSampleRate: 1);
        using var summariesOnly = new FleetDevice(Server, "kiosk-plain", withTelemetry: true);
        var served = new Dictionary<Guid, (string Device, ServedRow Row)>();
        foreach (var device in new[] { sampling, summariesOnly })
        {
            await device.CheckInAsync();
            await device.CheckInAsync();
            foreach (var (s, inputs, label) in device.ServeLabelledRows())
            {
                served[s.PredictionId] = (device.Id, new ServedRow(s.Prediction["label"].ToArray<long>()[0], label, inputs["features"].ToArray<float>()));
            }

            Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
            await device.CheckInAsync(); // uploads the telemetry
        }

        var csvPath = Path.Combine(Temp.Path, "export.csv");
        var parquetPath = Path.Combine(Temp.Path, "export.parquet");
        var csvRun = Ok("monitor", "export", "--model", Model, "--version", "1.0.0", "--format", "csv", "--out", csvPath, "--page-size", "7");
        Ok("monitor", "export", "--model", Model, "--version", "1.0.0", "--format", "parquet", "--out", parquetPath);
        var sliced = Ok("monitor", "export", "--model", Model, "--version", "1.0.0", "--slice", "petal_length<2.5", "--format", "csv", "--out", Path.Combine(Temp.Path, "sliced.csv"));

        Assert.Equal($"exported 90 predictions of {Model} 1.0.0 (45 with inputs) to {csvPath}", csvRun.StdOut.Trim());
        Assert.StartsWith($"exported 30 predictions of {Model} 1.0.0 (15 with inputs)", sliced.StdOut);
        var csv = ReadCsv(csvPath);
        Assert.Equal(["prediction_id", "time", "device_id", "model", "version", "slices", "predicted", "label", "has_inputs", "sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], csv.Header);
        Assert.Equal(90, csv.Rows.Count);
        Assert.Equal(served.Keys.Order(), csv.Rows.Select(r => Guid.ParseExact(r["prediction_id"], "N")).Order());
        foreach (var row in csv.Rows)
        {
            var (device, expected) = served[Guid.ParseExact(row["prediction_id"], "N")];
            Assert.Equal((device, Model, "1.0.0"), (row["device_id"], row["model"], row["version"]));
            Assert.Equal(expected.Predicted, long.Parse(row["predicted"], CultureInfo.InvariantCulture));
            Assert.Equal(expected.Label, double.Parse(row["label"], CultureInfo.InvariantCulture));
            Assert.True(DateTimeOffset.Parse(row["time"], CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-10));
            Assert.Equal(expected.Features[2] < 2.5 ? "petal_length<2.5" : expected.Features[2] < 5 ? "2.5<=petal_length<5" : "petal_length>=5", row["slices"]);
            if (device == sampling.Id)
            {
                Assert.Equal("true", row["has_inputs"]);
                Assert.Equal(expected.Features.Select(f => (double)f), csv.Header.Skip(9).Select(f => double.Parse(row[f], CultureInfo.InvariantCulture)));
            }
            else
            {
                Assert.Equal("false", row["has_inputs"]);
                Assert.All(csv.Header.Skip(9), f => Assert.Equal(string.Empty, row[f]));
            }
        }

        // The Parquet file holds the same rows (read back with Parquet.Net).
        await using (var stream = File.OpenRead(parquetPath))
        await using (var reader = await ParquetReader.CreateAsync(stream))
        {
            Assert.Equal(csv.Header, reader.Schema.DataFields.Select(f => f.Name));
            var ids = new List<string>();
            var labels = new List<double?>();
            var petal = new List<double?>();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var n = (int)group.RowCount;
                var (idColumn, labelColumn, petalColumn) = (new string?[n], new double?[n], new double?[n]);
                await group.ReadAsync(reader.Schema.DataFields[0], idColumn.AsMemory());
                await group.ReadAsync<double>(reader.Schema.DataFields[7], labelColumn.AsMemory());
                await group.ReadAsync<double>(reader.Schema.DataFields[11], petalColumn.AsMemory());
                (ids, labels, petal) = ([.. ids, .. idColumn.Select(i => i!)], [.. labels, .. labelColumn], [.. petal, .. petalColumn]);
            }

            Assert.Equal(csv.Rows.Select(r => r["prediction_id"]), ids);
            Assert.Equal(csv.Rows.Select(r => (double?)double.Parse(r["label"], CultureInfo.InvariantCulture)), labels);
            Assert.Equal(csv.Rows.Select(r => r["petal length (cm)"].Length == 0 ? null : (double?)double.Parse(r["petal length (cm)"], CultureInfo.InvariantCulture)), petal);
        }

        // The sample pipeline: retrain on the export, pack, sign, publish, staged rollout; a device installs it through its gate.
        var cardPath = Path.Combine(Temp.Path, "base.card.json");
        File.WriteAllText(cardPath, card.ToJsonString());
        var pipeline = ProcessRunner.Run(
            Path.Combine(Repo.Root, "samples", "retrain", "retrain.sh"),
            [csvPath],
            TimeSpan.FromMinutes(4),
            workingDirectory: Repo.Root,
            environment: new Dictionary<string, string>
            {
                ["EDGE_BIN"] = EdgePath, ["EDGE_SERVER"] = Server.Address.ToString(), ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken,
                ["RETRAIN_CARD"] = cardPath, ["RETRAIN_WORK"] = Path.Combine(Temp.Path, "retrain"), ["RETRAIN_STAGES"] = "50,100",
            });
        Assert.True(pipeline.ExitCode == 0, pipeline.All);
        Assert.Contains($"retrain: {Model} 1.1.0 (from 1.0.0, held-out accuracy ", pipeline.StdOut);
        var versions = await Server.Registry.ListVersionsAsync(new ListVersionsRequest { Model = Model }, UpdateServerHost.Operator);
        var published = Assert.Single(versions.Versions, v => v.Version == "1.1.0");
        var manifest = JsonNode.Parse(published.ManifestJson)!;
        Assert.Equal("Allowed", (string?)manifest["modelCard"]!["privacy"]!["rawInputs"]);
        Assert.Contains("retrained by samples/retrain on 45 labelled predictions", (string?)manifest["modelCard"]!["provenance"]);
        Assert.Equal(3, manifest["modelCard"]!["slices"]!.AsArray().Count);
        var rollouts = await Server.Registry.ListRolloutsAsync(new ListRolloutsRequest { Model = Model }, UpdateServerHost.Operator);
        var rollout = Assert.Single(rollouts.Rollouts, r => r.Version == "1.1.0");
        Assert.Equal(RolloutStrategy.Staged, rollout.Strategy);
        foreach (var device in new[] { sampling, summariesOnly })
        {
            await device.CheckInAsync();
            await device.CheckInAsync();
        }

        var runsNew = new[] { sampling, summariesOnly }.Count(d => d.Store.Predict(new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create([5.1f, 3.5f, 1.4f, 0.2f], [1, 4]) }).Version == "1.1.0");
        Assert.Equal(1, runsNew); // the first stage: 50% of two devices installed it, through the device gate
    }

    [Fact]
    public async Task Export_CardWithoutPrivacyPolicy_DeviceSamplingOn_ExportsNoInputs_AndOversizedRawInputsAreRefused()
    {
        // The stock sample card states no privacy policy: a device that samples every prediction still records none.
        await Server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        Ok("rollout", "create", "--model", Model, "--version", "1.0.0");
        using var device = new FleetDevice(Server, "kiosk-private", withTelemetry: true, rawInputSampleRate: 1);
        await device.CheckInAsync();
        await device.CheckInAsync();
        device.ServeLabelledRows();
        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        await device.CheckInAsync();

        var path = Path.Combine(Temp.Path, "private.csv");
        var run = Ok("monitor", "export", "--model", Model, "--version", "1.0.0", "--format", "csv", "--out", path);
        var unknownSlice = Edge("monitor", "export", "--model", Model, "--version", "1.0.0", "--slice", "no-such-slice", "--format", "csv", "--out", path);

        Assert.Equal(0, device.Telemetry.RawInputsRecorded);
        Assert.StartsWith($"exported 45 predictions of {Model} 1.0.0 (0 with inputs)", run.StdOut);
        Assert.All(ReadCsv(path).Rows, r => Assert.Equal("false", r["has_inputs"]));
        Assert.Equal(2, unknownSlice.ExitCode);
        Assert.StartsWith("error: InvalidArgument: slice 'no-such-slice' is not a model-card slice with conditions of iris-classifier 1.0.0", unknownSlice.StdErr);

        // A version whose card allows raw inputs still refuses one larger than EdgeDeploy:MaxRawInputBytes (16 KiB), naming the record.
        PackAndPublish(AllowedCard(), "1.2.0", Repo.Model("iris_classifier.onnx"), Repo.Model("iris_classifier.e2e.jsonl"), Repo.Model("iris_classifier.confidence.jsonl"), Repo.Model("iris_classifier.train.csv"));
        Ok("rollout", "create", "--model", Model, "--version", "1.2.0");
        var token = await Server.RegisterAsync("kiosk-big");
        var big = new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create(new float[5000], [1, 5000]) };
        var refused = await Assert.ThrowsAsync<RpcException>(() => TelemetryFixture.IngestAsync(
            Server, UpdateServerHost.Bearer(token), TelemetryFixture.Batch("1-1", TelemetryFixture.Prediction(10, 0, rawInputs: big, version: "1.2.0"))));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Matches(@"^Batch 1-1 record 0: its raw inputs are 200\d\d bytes; at most 16384 are accepted per record \(EdgeDeploy:MaxRawInputBytes\); the batch was not stored\.$", refused.Status.Detail);
    }

    [Fact]
    public async Task Export_DriftedOnly_ExportsTheRowsInBinsTheTrafficDriftedTowards()
    {
        PackAndPublish(AllowedCard(), "1.0.0", Repo.Model("iris_classifier.onnx"), Repo.Model("iris_classifier.e2e.jsonl"), Repo.Model("iris_classifier.confidence.jsonl"), Repo.Model("iris_classifier.train.csv"));
        Ok("rollout", "create", "--model", Model, "--version", "1.0.0");
        using var device = new FleetDevice(Server, "kiosk-drift", withTelemetry: true, rawInputSampleRate: 1);
        await device.CheckInAsync();
        await device.CheckInAsync();
        var path = Path.Combine(Temp.Path, "drifted.csv");

        // Before any shift: the drift rule calls nothing shifted, so the export is empty (and says why).
        device.ServeLabelledRows();
        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        await device.CheckInAsync(); // telemetry and the drift counts with the health report
        var calm = Ok("monitor", "export", "--model", Model, "--version", "1.0.0", "--drifted-only", "--format", "csv", "--out", path);
        Assert.StartsWith($"exported 0 predictions of {Model} 1.0.0 (0 with inputs) (no feature has shifted in the window)", calm.StdOut);

        // The same rows with sepal length 3 cm longer (beyond the training range): sepal length shifts, and its shifted
        // rows sit in the bin the traffic moved to.
        var shifted = device.ServeLabelledRows(f => [f[0] + 3, f[1], f[2], f[3]]).Select(s => s.Served.PredictionId.ToString("N")).ToHashSet();
        Assert.True(device.Telemetry.Flush(TimeSpan.FromSeconds(10)));
        await device.CheckInAsync();
        var run = Ok("monitor", "export", "--model", Model, "--version", "1.0.0", "--drifted-only", "--format", "csv", "--out", path);

        Assert.Contains("(shifted: sepal length (cm))", run.StdOut);
        var rows = ReadCsv(path).Rows;
        Assert.Subset(rows.Select(r => r["prediction_id"]).ToHashSet(), shifted);
        Assert.True(rows.Count < 90, $"{rows.Count} rows: the unshifted rows outside the drifted bins stay out");
    }

    /// <summary>The sample iris card with a privacy section that allows raw inputs for retraining.</summary>
    private static JsonNode AllowedCard()
    {
        var card = JsonNode.Parse(File.ReadAllText(Repo.Model("iris_classifier.card.json")))!;
        card["modelCard"]!["privacy"] = new JsonObject { ["rawInputs"] = "allowed", ["purpose"] = "retraining the classifier", ["retentionDays"] = 30 };
        return card;
    }

    private void PackAndPublish(JsonNode card, string version, string onnx, string e2e, string confidence, string train)
    {
        var cardPath = Path.Combine(Temp.Path, $"card-{version}.json");
        File.WriteAllText(cardPath, card.ToJsonString());
        var package = Path.Combine(Temp.Path, $"iris-{version}.edgepkg");
        var pack = ProcessRunner.Run(EdgePath, ["pack", "--model", onnx, "--name", Model, "--version", version, "--card", cardPath, "--e2e", e2e, "--confidence", confidence,
            "--metric", "accuracy", "--metric-output", "label", "--metric-min", "0.8", "--metric-max", "1", "--train", train, "--out", package], TimeSpan.FromMinutes(1));
        Assert.True(pack.ExitCode == 0, pack.All);
        Assert.Equal(0, ProcessRunner.Run(EdgePath, ["sign", package, "--key", Path.Combine(Repo.Models, "keys", "publisher.key")], TimeSpan.FromMinutes(1)).ExitCode);
        Ok("publish", package);
    }

    private static (List<string> Header, List<Dictionary<string, string>> Rows) ReadCsv(string path)
    {
        // Fields here hold no commas or quotes (feature names, slice names, numbers), so a plain split reads them.
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',').ToList();
        return (header, [.. lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))]);
    }

    private sealed record ServedRow(long Predicted, double Label, float[] Features);
}
