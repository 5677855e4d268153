using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.UpdateServer.Monitoring.Figures;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>
/// What every <see cref="ITelemetryStore"/> must do, run once per backend by the derived classes
/// (<see cref="SqliteTelemetryStoreTests"/>, <see cref="PostgresTelemetryStoreTests"/>).
/// </summary>
public abstract class TelemetryStoreContract : IAsyncLifetime
{
    private const string Model = "iris-classifier";

    protected ITelemetryStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await OpenAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A store on an empty database of the backend under test.</summary>
    protected abstract Task<ITelemetryStore> OpenAsync();

    [Fact]
    public async Task StoreBatch_SameBatchTwice_StoredOnce()
    {
        var batch = new TelemetryBatchRecord("d1", "1-3", [Served(100, 1), Served(200, 2)], [new IngestedGroundTruth(Guid.NewGuid(), 1, 1001)]);

        var first = await Store.StoreBatchAsync(batch, 5000, CancellationToken.None);
        var again = await Store.StoreBatchAsync(batch, 6000, CancellationToken.None);
        var otherDevice = await Store.StoreBatchAsync(batch with { DeviceId = "d2" }, 6000, CancellationToken.None);

        Assert.Equal((true, false, true), (first, again, otherDevice)); // the key is (device, batch id)
        Assert.Equal(new TelemetryCounts(2, 4, 2), Store.Count());
    }

    [Fact]
    public async Task StoreBatch_SameBatchConcurrently_ExactlyOneStores()
    {
        var batch = new TelemetryBatchRecord("d1", "7-9", [Served(100, 1)], []);

        var stored = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.StoreBatchAsync(batch, 5000, CancellationToken.None))));

        Assert.Single(stored, s => s);
        Assert.Equal(new TelemetryCounts(1, 1, 0), Store.Count());
    }

    [Fact]
    public async Task Summarize_LateGroundTruth_JoinsThePredictionOfTheSameDevice()
    {
        var right = Served(100, 1);
        var wrong = Served(200, 2);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-2", [right, wrong], []), 2000, CancellationToken.None);
        var before = Store.Summarize(Model, "1.0.0", 0, 10_000);

        // Labels arrive in later batches; one for the same id from another device must not join.
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "3-4", [], [new IngestedGroundTruth(right.PredictionId, 1, 3000), new IngestedGroundTruth(wrong.PredictionId, 0.5, 3000)]), 3000, CancellationToken.None);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d2", "3-4", [], [new IngestedGroundTruth(right.PredictionId, 7, 3000)]), 3000, CancellationToken.None);
        var after = Store.Summarize(Model, "1.0.0", 0, 10_000);

        Assert.Equal((2L, 0L, 0L, 0.0), (before.Requests, before.GroundTruth, before.Correct, before.AbsErrorSum));
        Assert.Equal((2L, 2L, 1L, 1.5), (after.Requests, after.GroundTruth, after.Correct, after.AbsErrorSum));
    }

    [Fact]
    public async Task StoreBatch_LabelSentAgain_LastLabelCounts()
    {
        var p = Served(100, 1);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-1", [p], [new IngestedGroundTruth(p.PredictionId, 0, 1001), new IngestedGroundTruth(p.PredictionId, 3, 1002)]), 2000, CancellationToken.None);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "2-2", [], [new IngestedGroundTruth(p.PredictionId, 1, 1003)]), 2000, CancellationToken.None);

        var s = Store.Summarize(Model, "1.0.0", 0, 10_000);

        Assert.Equal((1L, 1L, 0.0), (s.GroundTruth, s.Correct, s.AbsErrorSum));
        Assert.Equal(new TelemetryCounts(2, 1, 1), Store.Count());
    }

    [Fact]
    public async Task Summarize_Window_CountsServedPredictionsOfTheVersionInTheHalfOpenWindow()
    {
        // In the window [1000, 2000): latencies 400, 100, 300, 200 µs, one missing value of 16. Outside it: one at 2000, one
        // at 999, a shadow run, and another version.
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-9",
        [
            Served(400, 0, ts: 1000), Served(100, 1, ts: 1500, missing: 1), Served(300, 1, ts: 1999), Served(200, 2, ts: 1200),
            Served(5, 0, ts: 2000), Served(5, 0, ts: 999), Served(9000, 2, ts: 1500) with { Shadow = true }, Served(5, 0, ts: 1500) with { Version = "2.0.0" },
        ], []), 3000, CancellationToken.None);

        var s = Store.Summarize(Model, "1.0.0", 1000, 2000);

        Assert.Equal(4, s.Requests);
        Assert.Equal((200.0, 400.0, 400.0), (s.LatencyP50Micros, s.LatencyP95Micros, s.LatencyP99Micros)); // nearest rank
        Assert.Equal(1 / 16.0, s.MissingFraction);
        Assert.Equal(new Dictionary<double, long> { [0] = 1, [1] = 2, [2] = 1 }, s.PredictionCounts);
    }

    [Fact]
    public async Task Summarize_SliceMasks_TallyEachSliceIncludingTheHighestBit()
    {
        var a = Served(100, 1, slices: 0b101);
        var b = Served(100, 2, slices: 1UL << 63);
        var c = Served(100, 0);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-3", [a, b, c], [new IngestedGroundTruth(a.PredictionId, 1, 1001), new IngestedGroundTruth(b.PredictionId, 0, 1001)]), 2000, CancellationToken.None);

        var s = Store.Summarize(Model, "1.0.0", 0, 10_000);

        Assert.Equal(3, s.Slices.Count);
        Assert.Equal(new SliceOutcomes(1, 1, 1, 0), s.Slices[0]);
        Assert.Equal(new SliceOutcomes(1, 1, 1, 0), s.Slices[2]);
        Assert.Equal(new SliceOutcomes(1, 1, 0, 2), s.Slices[63]);
        Assert.Equal((3L, 2L, 1L), (s.Requests, s.GroundTruth, s.Correct));
    }

    [Fact]
    public async Task Summarize_LabelledClasses_CountedByPredictedAndTrueClassOverallAndPerSlice()
    {
        // Class 0 predicted for three rows labelled 0, 0, 1; class 1 for two labelled 1, 0; one unlabelled; one regression-like value.
        var rows = new[] { Served(100, 0, slices: 0b1), Served(100, 0, slices: 0b1), Served(100, 0, slices: 0b10), Served(100, 1, slices: 0b10), Served(100, 1, slices: 0b1), Served(100, 1), Served(100, 2.5) };
        double?[] labels = [0, 0, 1, 1, 0, null, 2.5];
        var truth = rows.Zip(labels).Where(x => x.Second is not null).Select(x => new IngestedGroundTruth(x.First.PredictionId, x.Second!.Value, 1001)).ToList();
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-cm", rows, truth), 2000, CancellationToken.None);

        var s = Store.Summarize(Model, "1.0.0", 0, 10_000);

        Assert.Equal(new Dictionary<(int, int), long> { [(0, 0)] = 2, [(0, 1)] = 1, [(1, 1)] = 1, [(1, 0)] = 1 }, s.Confusion.Counts);
        Assert.Equal((5L, 0.5, 1, 0.5, 1), (s.Confusion.Labelled, s.Confusion.MinRecall().Value, s.Confusion.MinRecall().Class, s.Confusion.MinPrecision().Value, s.Confusion.MinPrecision().Class));
        Assert.Equal(new BinaryOutcomes(1, 1, 2, 1), s.Confusion.Binary(1));
        Assert.Equal(new Dictionary<(int, int), long> { [(0, 0)] = 2, [(1, 0)] = 1 }, s.SliceConfusion[0].Counts);
        Assert.Equal(new Dictionary<(int, int), long> { [(0, 1)] = 1, [(1, 1)] = 1 }, s.SliceConfusion[1].Counts);
    }

    [Fact]
    public void Summarize_UnknownVersion_IsEmpty()
    {
        var s = Store.Summarize(Model, "9.9.9", 0, long.MaxValue);

        Assert.Equal((0L, 0L, 0.0), (s.Requests, s.GroundTruth, s.MissingFraction));
        Assert.True(double.IsNaN(s.LatencyP50Micros));
        Assert.Empty(s.Slices);
        Assert.Equal(new TelemetryCounts(0, 0, 0), Store.Count());
    }

    [Fact]
    public async Task Prune_DeletesTelemetryBeforeTheCutoffOnly_AndAPrunedBatchReceiptNoLongerDeduplicates()
    {
        var old = Served(100, 1, ts: 1000);
        var fresh = Served(200, 2, ts: 5000);
        var oldBatch = new TelemetryBatchRecord("d1", "1-2", [old], [new IngestedGroundTruth(old.PredictionId, 1, 1500)]);
        await Store.StoreBatchAsync(oldBatch, 1500, CancellationToken.None);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "3-4", [fresh], [new IngestedGroundTruth(fresh.PredictionId, 2, 5000)]), 5000, CancellationToken.None);

        var deleted = await Store.PruneAsync(4000, CancellationToken.None);
        var counts = Store.Count();
        var window = Store.Summarize(Model, "1.0.0", 0, 10_000);
        var resentAfterRetention = await Store.StoreBatchAsync(oldBatch, 6000, CancellationToken.None);

        Assert.Equal(3L, deleted); // one prediction, one label, one receipt
        Assert.Equal(new TelemetryCounts(1, 1, 1), counts);
        Assert.Equal((1L, 1L, 1L), (window.Requests, window.GroundTruth, window.Correct));
        Assert.True(resentAfterRetention); // documented: receipts are kept as long as the telemetry itself
    }

    [Fact]
    public async Task Prune_CutoffInsideOneBatch_KeepsThatBatchsLaterPredictionsOnly()
    {
        var early = Served(100, 1, ts: 1000);
        var late = Served(300, 2, ts: 5000);
        var shadowLate = new IngestedPrediction(Guid.NewGuid(), Model, "1.0.0", 6000, 50, true, 4, 0, 2);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-3", [early, late, shadowLate], [new IngestedGroundTruth(late.PredictionId, 2, 5000)]), 5000, CancellationToken.None);

        var deleted = await Store.PruneAsync(4000, CancellationToken.None);
        var again = await Store.PruneAsync(4000, CancellationToken.None);

        Assert.Equal((1L, 0L), (deleted, again));
        Assert.Equal(new TelemetryCounts(1, 2, 1), Store.Count());
        var window = Store.Summarize(Model, "1.0.0", 0, 10_000);
        Assert.Equal((1L, 1L, 1L, 300.0), (window.Requests, window.GroundTruth, window.Correct, window.LatencyP50Micros));
    }

    [Fact]
    public async Task PredictionsPerHour_CountsByTheHourOfEachTimestamp()
    {
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-3", [Served(1, 1, ts: 10), Served(1, 1, ts: 3_599_999), Served(1, 1, ts: 7_200_000)], []), 1, CancellationToken.None);

        var hours = await Store.PredictionsPerHourAsync(CancellationToken.None);

        Assert.Equal([new HourCount(0, 2), new HourCount(7_200_000, 1)], hours.OrderBy(h => h.HourStartUnixMs));
    }

    [Fact]
    public async Task ExportPage_FiltersAndPages_ReturnsLabelledServedRowsWithTheirRawInputsOnce()
    {
        byte[] raw = [0x81, 0xA1, 0x78, 0x01];
        var labelled = Served(1, 2, ts: 1000, slices: 0b01) with { RawInputs = raw };
        var labelledNoInputs = Served(1, 1, ts: 1100, slices: 0b10);
        var unlabelled = Served(1, 0, ts: 1200, slices: 0b01);
        var shadow = new IngestedPrediction(Guid.NewGuid(), Model, "1.0.0", 1300, 1, true, 4, 0, 2);
        var otherVersion = new IngestedPrediction(Guid.NewGuid(), Model, "2.0.0", 1400, 1, false, 4, 0, 2);
        var outside = Served(1, 2, ts: 5000);
        await Store.StoreBatchAsync(
            new TelemetryBatchRecord("d1", "1-6", [labelled, labelledNoInputs, unlabelled, shadow, otherVersion, outside],
                [.. new[] { labelled, labelledNoInputs, shadow, otherVersion, outside }.Select(p => new IngestedGroundTruth(p.PredictionId, 2, 2000))]),
            2000,
            CancellationToken.None);
        var query = new PredictionExportQuery(Model, "1.0.0", 0, 5000, 0, IncludeUnlabelled: false, RawInputsOnly: false, NowUnixMs: 2000);

        var pages = new List<IReadOnlyList<PredictionExportRow>>();
        for (var after = ExportCursor.Start; pages.Count < 10;)
        {
            var page = await Store.ExportPageAsync(query, after, 1, CancellationToken.None);
            pages.Add(page);
            if (page.Count < 1)
            {
                break;
            }

            after = page[^1].Cursor;
        }

        var all = await Store.ExportPageAsync(query with { IncludeUnlabelled = true }, ExportCursor.Start, 100, CancellationToken.None);
        var sliced = await Store.ExportPageAsync(query with { SliceMask = 0b10 }, ExportCursor.Start, 100, CancellationToken.None);
        var withInputs = await Store.ExportPageAsync(query with { RawInputsOnly = true }, ExportCursor.Start, 100, CancellationToken.None);

        Assert.Equal([1, 1, 0], pages.Select(p => p.Count));
        var rows = pages.SelectMany(p => p).ToList();
        Assert.Equal([labelled.PredictionId, labelledNoInputs.PredictionId], rows.Select(r => r.PredictionId));
        Assert.Equal(("d1", 1000L, 2.0, 0b01UL, (double?)2), (rows[0].DeviceId, rows[0].TimestampMs, rows[0].Predicted, rows[0].Slices, rows[0].Label));
        Assert.Equal(raw, rows[0].RawInputs);
        Assert.Null(rows[1].RawInputs);
        Assert.Equal([labelled.PredictionId, labelledNoInputs.PredictionId, unlabelled.PredictionId], all.Select(r => r.PredictionId));
        Assert.Null(all[2].Label);
        Assert.Equal([labelledNoInputs.PredictionId], sliced.Select(r => r.PredictionId));
        Assert.Equal([labelled.PredictionId], withInputs.Select(r => r.PredictionId));
    }

    [Fact]
    public async Task PruneRawInputs_CardRetentionOver_DropsTheInputsAndKeepsThePrediction()
    {
        byte[] raw = [0x80];
        var expiring = Served(1, 1, ts: 1000) with { RawInputs = raw, RawInputsExpireMs = 3000 };
        var kept = Served(1, 1, ts: 1000) with { RawInputs = raw };
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-2", [expiring, kept], [new IngestedGroundTruth(expiring.PredictionId, 1, 1000), new IngestedGroundTruth(kept.PredictionId, 1, 1000)]), 1000, CancellationToken.None);
        var query = new PredictionExportQuery(Model, "1.0.0", 0, 5000, 0, false, false, NowUnixMs: 3000);

        var hiddenOnceExpired = await Store.ExportPageAsync(query, ExportCursor.Start, 10, CancellationToken.None);
        var pruned = await Store.PruneRawInputsAsync(3000, CancellationToken.None);
        var afterPrune = await Store.ExportPageAsync(query with { NowUnixMs = 0 }, ExportCursor.Start, 10, CancellationToken.None);
        await Store.PruneAsync(2000, CancellationToken.None); // the telemetry retention takes the rest with their predictions
        var afterRetention = await Store.ExportPageAsync(query with { IncludeUnlabelled = true, FromUnixMs = 0 }, ExportCursor.Start, 10, CancellationToken.None);

        Assert.Equal([null, raw], hiddenOnceExpired.Select(r => r.RawInputs));
        Assert.Equal(1, pruned);
        Assert.Equal([null, raw], afterPrune.Select(r => r.RawInputs));
        Assert.Empty(afterRetention);
    }

    [Fact]
    public async Task Summarize_WholeHours_RollupsCountLateAndEarlyAndReplacedLabels()
    {
        const long Hour = 3_600_000;
        var a = Served(100, 1, ts: 1000, slices: 0b1);
        var b = Served(200, 2, ts: Hour + 500);
        var c = Served(300, 0, ts: (2 * Hour) + 100);
        var shadow = Served(9000, 0, ts: (2 * Hour) + 200) with { Shadow = true };
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "0-0", [], [new IngestedGroundTruth(c.PredictionId, 0, (2 * Hour) + 150)]), 1, CancellationToken.None); // label before its prediction
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-4", [a, b, c, shadow], [new IngestedGroundTruth(a.PredictionId, 1, 2000), new IngestedGroundTruth(shadow.PredictionId, 0, 2000)]), 2, CancellationToken.None);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "5-6", [], [new IngestedGroundTruth(b.PredictionId, 0, 3 * Hour), new IngestedGroundTruth(a.PredictionId, 2, 3 * Hour)]), 3, CancellationToken.None); // late, and a's label replaced
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d2", "1-1", [Served(400, 1, ts: Hour + 9)], []), 4, CancellationToken.None); // another device, same hour as b

        var whole = Store.Summarize(Model, "1.0.0", 0, 3 * Hour);        // three whole hours: roll-ups only
        var mixed = Store.Summarize(Model, "1.0.0", 500, (3 * Hour) - 1); // partial first and last hour read raw, the middle one rolled up
        var raw = Store.Summarize(Model, "1.0.0", Hour + 100, (2 * Hour) - 1); // inside one hour: raw rows only

        Assert.Equal((4L, 3L, 1L, 3.0), (whole.Requests, whole.GroundTruth, whole.Correct, whole.AbsErrorSum)); // a: 2 vs 1, b: 0 vs 2, c: 0 vs 0
        Assert.Equal((200.0, 400.0, 400.0), (whole.LatencyP50Micros, whole.LatencyP95Micros, whole.LatencyP99Micros));
        Assert.Equal(new Dictionary<double, long> { [0] = 1, [1] = 2, [2] = 1 }, whole.PredictionCounts);
        Assert.Equal(new SliceOutcomes(1, 1, 0, 1), whole.Slices[0]);
        Assert.Equal((whole.Requests, whole.GroundTruth, whole.Correct, whole.AbsErrorSum, whole.LatencyP95Micros), (mixed.Requests, mixed.GroundTruth, mixed.Correct, mixed.AbsErrorSum, mixed.LatencyP95Micros));
        Assert.Equal((whole.MissingFraction, whole.Slices[0]), (mixed.MissingFraction, mixed.Slices[0]));
        Assert.Equal((1L, 1L, 0L, 2.0, 200.0), (raw.Requests, raw.GroundTruth, raw.Correct, raw.AbsErrorSum, raw.LatencyP50Micros)); // b only: d2's is at hour + 9

        // Per-class and fairness figures read the (predicted, true) counts: the same from roll-ups as from raw rows.
        Assert.Equal(new Dictionary<(int, int), long> { [(1, 2)] = 1, [(2, 0)] = 1, [(0, 0)] = 1 }, whole.Confusion.Counts);
        Assert.Equal(new Dictionary<(int, int), long> { [(1, 2)] = 1 }, whole.SliceConfusion[0].Counts);
        Assert.Equal(whole.Confusion.Counts, mixed.Confusion.Counts);
        Assert.Equal(whole.SliceConfusion[0].Counts, mixed.SliceConfusion[0].Counts);
    }

    [Fact]
    public async Task StoreBatch_PredictionWithoutAValue_IsCountedButScoresNoPlainOutcomeFromRollupsOrRawRows()
    {
        // An OCR or vision model's outputs are too large to record: the device sends no value (NaN). It is still a served
        // prediction; a numeric label for it scores nothing (no accuracy, no absolute error), whole hours or partial.
        const long Hour = 3_600_000;
        var none = Served(100, double.NaN, ts: 1000);
        var one = Served(200, 1, ts: 2000);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-2", [none, one], [new IngestedGroundTruth(none.PredictionId, 1, 3000), new IngestedGroundTruth(one.PredictionId, 1, 3000)]), 1, CancellationToken.None);

        var whole = Store.Summarize(Model, "1.0.0", 0, Hour);
        var raw = Store.Summarize(Model, "1.0.0", 500, Hour - 1);

        Assert.Equal((2L, 1L, 1L, 0.0), (whole.Requests, whole.GroundTruth, whole.Correct, whole.AbsErrorSum));
        Assert.Equal((2L, 1L, 1L, 0.0), (raw.Requests, raw.GroundTruth, raw.Correct, raw.AbsErrorSum));
        Assert.Equal(new Dictionary<double, long> { [1] = 1 }, whole.PredictionCounts);
        Assert.Equal(whole.PredictionCounts, raw.PredictionCounts);
    }

    [Fact]
    public async Task Summarize_LatencyWithMoreThanThreeDigits_RollupsAndRawRowsAgreeOnTheRoundedValue()
    {
        const long Hour = 3_600_000;
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-2", [Served(123.456, 1, ts: 10), Served(98_765.4, 1, ts: 20)], []), 1, CancellationToken.None);

        var rolled = Store.Summarize(Model, "1.0.0", 0, Hour);
        var raw = Store.Summarize(Model, "1.0.0", 1, Hour);

        Assert.Equal((123.0, 98_800.0), (rolled.LatencyP50Micros, rolled.LatencyP99Micros)); // three significant digits
        Assert.Equal((rolled.LatencyP50Micros, rolled.LatencyP99Micros), (raw.LatencyP50Micros, raw.LatencyP99Micros));
    }

    [Fact]
    public async Task Prune_CutoffInsideAnHour_RollupsKeepOnlyWhatRetentionKept()
    {
        const long Hour = 3_600_000;
        var gone = Served(100, 1, ts: 1000);
        var kept = Served(200, 2, ts: 3_000_000);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-3", [gone, kept, Served(300, 1, ts: Hour + 10)], [new IngestedGroundTruth(kept.PredictionId, 2, 3_000_001)]), 1, CancellationToken.None);

        await Store.PruneAsync(2_000_000, CancellationToken.None);
        var afterPartial = Store.Summarize(Model, "1.0.0", 0, 2 * Hour);
        await Store.PruneAsync(2 * Hour, CancellationToken.None);
        var afterWhole = Store.Summarize(Model, "1.0.0", 0, 2 * Hour);

        Assert.Equal((2L, 1L, 1L, 200.0), (afterPartial.Requests, afterPartial.GroundTruth, afterPartial.Correct, afterPartial.LatencyP50Micros));
        Assert.Equal((0L, 0L), (afterWhole.Requests, afterWhole.GroundTruth));
        Assert.Empty(afterWhole.PredictionCounts);
    }

    [Fact]
    public async Task Summarize_TopClassesEvidence_RanksFromRollupsAndRawRowsAgreeWithLateEarlyAndReplacedLabels()
    {
        const long Hour = 3_600_000;
        var a = Served(100, 2, ts: 1000, slices: 0b1) with { Evidence = TopClasses(2, 0, 1) };
        var b = Served(200, 1, ts: Hour + 500) with { Evidence = TopClasses(1, 2, 3) };
        var c = Served(300, 0, ts: (2 * Hour) + 100) with { Evidence = TopClasses(0, 1, 2) };
        var plain = Served(400, 1, ts: Hour + 600); // no evidence: its label counts for accuracy only
        var shadow = Served(500, 0, ts: Hour + 700) with { Shadow = true, Evidence = TopClasses(0, 1, 2) };
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "0-0", [], [new IngestedGroundTruth(c.PredictionId, 5, (2 * Hour) + 150)]), 1, CancellationToken.None); // before its prediction: not among c's top classes
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-5", [a, b, c, plain, shadow], [new IngestedGroundTruth(a.PredictionId, 0, 2000), new IngestedGroundTruth(shadow.PredictionId, 0, 2000)]), 2, CancellationToken.None);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "6-8", [], [new IngestedGroundTruth(b.PredictionId, 3, 3 * Hour), new IngestedGroundTruth(a.PredictionId, 2, 3 * Hour), new IngestedGroundTruth(plain.PredictionId, 1, 3 * Hour)]), 3, CancellationToken.None); // late, and a's label replaced (rank 1 -> 0)

        var whole = Store.Summarize(Model, "1.0.0", 0, 3 * Hour);
        var mixed = Store.Summarize(Model, "1.0.0", 500, (3 * Hour) - 1);
        var raw = Store.Summarize(Model, "1.0.0", Hour + 100, (2 * Hour) - 1);

        // a: rank 0 (label 2 of [2, 0, 1]), b: rank 2 (3 of [1, 2, 3]), c: absent (5): top-1 1/3, top-2 1/3, top-3 2/3.
        Assert.Equal(new Dictionary<int, long> { [0] = 1, [2] = 1, [-1] = 1 }, whole.Evidence.Ranks);
        Assert.Equal((3L, 1 / 3.0, 1 / 3.0, 2 / 3.0), (whole.Evidence.Ranked, whole.Evidence.TopKAccuracy(1), whole.Evidence.TopKAccuracy(2), whole.Evidence.TopKAccuracy(3)));
        Assert.Equal(new Dictionary<int, long> { [0] = 1 }, whole.SliceEvidence[0].Ranks);
        Assert.Equal(4L, whole.GroundTruth); // plain labels still count as before
        Assert.Equal(whole.Evidence.Ranks, mixed.Evidence.Ranks);
        Assert.Equal(whole.SliceEvidence[0].Ranks, mixed.SliceEvidence[0].Ranks);
        Assert.Equal(new Dictionary<int, long> { [2] = 1 }, raw.Evidence.Ranks); // b only
    }

    [Fact]
    public async Task Summarize_TextEvidenceWithTruth_CerAndWerFromRollupsAndRawRowsAgree()
    {
        const long Hour = 3_600_000;
        var p1 = Served(100, 0, ts: 1000, slices: 0b10) with { Evidence = Text("helo world") };
        var p2 = Served(200, 0, ts: Hour + 500) with { Evidence = Text("edge deploy") };
        var p3 = Served(300, 0, ts: (2 * Hour) + 100) with { Evidence = Text("abc") };
        var p4 = Served(400, 1, ts: Hour + 700) with { Evidence = Text("x") }; // a plain label: no truth text to score
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "0-0", [], [Truth(p3, "abd", (2 * Hour) + 150)]), 1, CancellationToken.None); // before its prediction
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-4", [p1, p2, p3, p4], [Truth(p1, "hello world", 2000), Truth(p2, "edge deploy", 2000), new IngestedGroundTruth(p4.PredictionId, 1, 2000)]), 2, CancellationToken.None);
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "5-5", [], [Truth(p2, "edge deploys", 3 * Hour)]), 3, CancellationToken.None); // replaced: 0 edits -> 1

        var whole = Store.Summarize(Model, "1.0.0", 0, 3 * Hour);
        var mixed = Store.Summarize(Model, "1.0.0", 500, (3 * Hour) - 1);
        var raw = Store.Summarize(Model, "1.0.0", Hour + 100, (2 * Hour) - 1);

        // p1: 1 of 11 characters, 1 of 2 words; p2: 1 of 12, 1 of 2; p3: 1 of 3, 1 of 1. CER 3/26, WER 3/5.
        var e = whole.Evidence;
        Assert.Equal((3L, 3L, 26L, 3L, 5L), (e.Sequences, e.CharacterEdits, e.Characters, e.WordEdits, e.Words));
        Assert.Equal((3 / 26.0, 3 / 5.0), (e.CharacterErrorRate, e.WordErrorRate));
        Assert.Equal((1L, 1L, 11L), (whole.SliceEvidence[1].Sequences, whole.SliceEvidence[1].CharacterEdits, whole.SliceEvidence[1].Characters));
        Assert.Equal((1L, 1L), (whole.GroundTruth, whole.Correct)); // truth-only labels (NaN) count in no accuracy figure
        Assert.Equal((e.Sequences, e.CharacterEdits, e.Characters, e.WordEdits, e.Words), (mixed.Evidence.Sequences, mixed.Evidence.CharacterEdits, mixed.Evidence.Characters, mixed.Evidence.WordEdits, mixed.Evidence.Words));
        Assert.Equal((whole.GroundTruth, whole.SliceEvidence[1].Characters), (mixed.GroundTruth, mixed.SliceEvidence[1].Characters));
        Assert.Equal((1L, 1L, 12L), (raw.Evidence.Sequences, raw.Evidence.CharacterEdits, raw.Evidence.Characters)); // p2 only
        Assert.Equal(new TelemetryCounts(3, 4, 4), Store.Count());
    }

    [Fact]
    public async Task ScoredEvidence_DetectionsWithTruthBoxes_NewestFirstAndMeanAveragePrecisionHandComputed()
    {
        // Image 1: truth class 0 at [0,0,10,10]; detections: that box (0.9, a hit) and a miss (0.8).
        // Image 2: truth class 0 at [0,0,10,10] and class 1 at [50,50,60,60]; detections overlap each (IoU 0.81 and 0.8).
        // Class 0 ranked 0.9 hit, 0.8 miss, 0.7 hit: AP = 0.5 * 1 + 0.5 * 2/3 = 5/6; class 1: AP 1. mAP = 11/12.
        var one = Served(100, 0, ts: 1000) with { Evidence = Detections([0, 0, 10, 10, 20, 20, 30, 30], [0.9f, 0.8f], [0, 0]) };
        var two = Served(100, 0, ts: 2000) with { Evidence = Detections([1, 1, 10, 10, 50, 50, 58, 60], [0.7f, 0.6f], [0, 1]) };
        var unlabelled = Served(100, 0, ts: 3000) with { Evidence = Detections([0, 0, 1, 1], [0.5f], [0]) };
        var plain = Served(100, 0, ts: 4000) with { Evidence = Detections([0, 0, 1, 1], [0.5f], [0]) };
        await Store.StoreBatchAsync(
            new TelemetryBatchRecord("d1", "1-6", [one, two, unlabelled, plain], [Boxes(one, [0, 0, 10, 10], [0]), Boxes(two, [0, 0, 10, 10, 50, 50, 60, 60], [0, 1]), new IngestedGroundTruth(plain.PredictionId, 0, 5000)]),
            1,
            CancellationToken.None);

        var rows = await Store.ScoredEvidenceAsync(Model, "1.0.0", 0, 10_000, 100, CancellationToken.None);
        var newest = await Store.ScoredEvidenceAsync(Model, "1.0.0", 0, 10_000, 1, CancellationToken.None);
        var scored = DetectionEvidence.Score(rows, 0.5);

        Assert.Equal([two.Evidence, one.Evidence], rows.Select(r => r.Evidence));
        Assert.Equal(two.Evidence, Assert.Single(newest).Evidence);
        Assert.Equal(2L, scored.Images);
        Assert.Equal(11 / 12.0, scored.MeanAveragePrecision, 12);
        Assert.Equal(0.25, DetectionEvidence.Score(rows, 0.85).MeanAveragePrecision, 12); // at IoU 0.85 only the exact box hits: class 0 AP 1/2, class 1 AP 0
    }

    [Fact]
    public async Task Prune_CutoffInsideAnHour_EvidenceRollupsRebuiltFromWhatRetentionKept()
    {
        const long Hour = 3_600_000;
        var gone = Served(100, 1, ts: 1000) with { Evidence = TopClasses(1, 0) };
        var kept = Served(200, 2, ts: 3_000_000) with { Evidence = Text("ab") };
        var late = Served(300, 0, ts: 3_100_000) with { Evidence = TopClasses(1, 0) };
        await Store.StoreBatchAsync(new TelemetryBatchRecord("d1", "1-5", [gone, kept, late], [new IngestedGroundTruth(gone.PredictionId, 1, 2000), Truth(kept, "abc", 3_000_001), new IngestedGroundTruth(late.PredictionId, 0, 3_100_001)]), 1, CancellationToken.None);

        await Store.PruneAsync(2_000_000, CancellationToken.None);
        var rolled = Store.Summarize(Model, "1.0.0", 0, Hour);

        Assert.Equal(new Dictionary<int, long> { [1] = 1 }, rolled.Evidence.Ranks); // late's rank 1; gone's rank 0 went with it
        Assert.Equal((1L, 1L, 3L), (rolled.Evidence.Sequences, rolled.Evidence.CharacterEdits, rolled.Evidence.Characters)); // "ab" vs "abc"
    }

    private static byte[] EvidenceBytes(Dictionary<string, EdgeTensor> tensors) =>
        TelemetryCodec.ReadEvidence(TelemetryCodec.Encode(new PredictionRecord(Guid.NewGuid(), Model, "1.0.0", 0, 0, false, [], new Dictionary<string, EdgeTensor>()) { Evidence = tensors })).ToArray();

    private static byte[] TopClasses(params long[] classes) => EvidenceBytes(new() { [TelemetryEvidence.TopClasses] = EdgeTensor.Create(classes, [classes.Length]) });

    private static byte[] Text(string text) => EvidenceBytes(new() { [TelemetryEvidence.Text] = EdgeTensor.Create([text], [1]) });

    private static byte[] Detections(float[] boxes, float[] scores, long[] classes) => EvidenceBytes(new()
    {
        [TelemetryEvidence.Boxes] = EdgeTensor.Create(boxes, [scores.Length, 4]),
        [TelemetryEvidence.Scores] = EdgeTensor.Create(scores, [scores.Length]),
        [TelemetryEvidence.Classes] = EdgeTensor.Create(classes, [classes.Length]),
    });

    /// <summary>A truth-only label (NaN) as ingest stores it: the encoded map, here through the same codec.</summary>
    private static IngestedGroundTruth Truth(IngestedPrediction p, string text, long ts) =>
        new(p.PredictionId, double.NaN, ts, EvidenceBytes(new() { [TelemetryEvidence.Text] = EdgeTensor.Create([text], [1]) }));

    private static IngestedGroundTruth Boxes(IngestedPrediction p, float[] boxes, long[] classes, long ts = 5000) =>
        new(p.PredictionId, double.NaN, ts, EvidenceBytes(new() { [TelemetryEvidence.Boxes] = EdgeTensor.Create(boxes, [classes.Length, 4]), [TelemetryEvidence.Classes] = EdgeTensor.Create(classes, [classes.Length]) }));

    private static IngestedPrediction Served(double latencyMicros, double predicted, long ts = 1000, long missing = 0, ulong slices = 0) =>
        new(Guid.NewGuid(), Model, "1.0.0", ts, latencyMicros, false, 4, missing, predicted, slices);
}
