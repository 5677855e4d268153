using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.WebConsole;

/// <summary>
/// What the console's pages read, from the services and stores the gRPC API reads (fleet directory, rollout service,
/// monitoring queries, alert rules, audit log): nothing here decides anything. Every page is bounded: one page of
/// devices, the newest rollouts, a fixed number of time windows.
/// </summary>
internal sealed class ConsoleQueries(
    FleetDirectory fleet,
    IUpdateStore store,
    IBlobStore blobs,
    PackageRegistry packages,
    PackageFacts facts,
    PackageVerifier verifier,
    RolloutService rollouts,
    MonitoringQueries monitoring,
    AlertRuleService alertRules,
    TimeProvider time)
{
    /// <summary>Devices seen within this long are online.</summary>
    public static readonly TimeSpan OnlineWithin = TimeSpan.FromMinutes(5);

    /// <summary>Devices seen within this long (but not within <see cref="OnlineWithin"/>) are silent; older or never, offline.</summary>
    public static readonly TimeSpan SilentWithin = TimeSpan.FromHours(24);

    public const int DevicesPerPage = 50;

    /// <summary>How far back the device page's health history reaches.</summary>
    public static readonly TimeSpan DeviceHistoryWindow = TimeSpan.FromHours(24);

    /// <summary>At most this many of a device's health reports on its page.</summary>
    public const int DeviceHistoryReports = 200;

    public const int RolloutsPerPage = 50;

    /// <summary>Time windows per monitoring chart.</summary>
    public const int ChartWindows = 24;

    /// <summary>How long a closed chart window's figures are reused (telemetry that arrives late shows after this).</summary>
    public static readonly TimeSpan ClosedWindowReuse = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, (string Publisher, IReadOnlyList<string> KeyIds, string Note)> _signatures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Model, string Version, long From, long Step), (StatsWindow Window, long CachedAt)> _windows = new();

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<FleetView> FleetAsync(string tag, string model, string status, int page, CancellationToken cancellationToken)
    {
        var now = Now;
        var all = await fleet.AllAsync(cancellationToken).ConfigureAwait(false);
        var rows = all.Select(d => Row(d, now)).ToList();
        var matching = rows
            .Where(d => tag.Length == 0 || d.Tags.Contains(tag))
            .Where(d => model.Length == 0 || d.Serving.Any(s => s.StartsWith(model + " ", StringComparison.Ordinal)))
            .Where(d => status.Length == 0 || d.Status == status)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .ToList();
        var pages = Math.Max(1, (matching.Count + DevicesPerPage - 1) / DevicesPerPage);
        page = Math.Clamp(page, 1, pages);
        var counts = rows.GroupBy(d => d.Status).ToDictionary(g => g.Key, g => g.Count());
        return new FleetView(
            [.. matching.Skip((page - 1) * DevicesPerPage).Take(DevicesPerPage)], rows.Count, matching.Count, page, DevicesPerPage, tag, model, status,
            [.. rows.SelectMany(d => d.Tags).Distinct().Order(StringComparer.Ordinal)],
            [.. all.SelectMany(d => d.Installed).Select(i => i.Model).Distinct().Order(StringComparer.Ordinal)],
            counts, now);
    }

    public async Task<DeviceView?> DeviceAsync(string id, CancellationToken cancellationToken)
    {
        if (await fleet.FindAsync(id, cancellationToken).ConfigureAwait(false) is not { } device)
        {
            return null;
        }

        var now = Now;
        var installs = new List<InstallRow>();
        foreach (var r in (await rollouts.ListAsync(null, cancellationToken).ConfigureAwait(false)).Take(RolloutsPerPage))
        {
            var reports = await store.GetLatestInstallReportsAsync(r.Id, cancellationToken).ConfigureAwait(false);
            if (reports.TryGetValue(id, out var report))
            {
                installs.Add(new InstallRow(r.Id, report.Model, report.Version, report.Success, report.Reason, report.AtUnixMs));
            }
        }

        var health = new List<HealthRow>();
        var since = now - (long)TimeSpan.FromHours(1).TotalMilliseconds;
        foreach (var i in device.Installed)
        {
            health.Add(await HealthAsync(i.Model, i.Version, since, now, cancellationToken).ConfigureAwait(false));
        }

        // The device's own reports, each judged through the same figures as the fleet's (MonitoredFigures).
        var own = await store.ListDeviceHealthAsync(id, now - (long)DeviceHistoryWindow.TotalMilliseconds, DeviceHistoryReports, cancellationToken).ConfigureAwait(false);
        var history = own.Select(h =>
        {
            var totals = new HealthTotals(h.Requests, h.Errors, h.LatencyBuckets, h.GroundTruth, h.Correct, h.AbsErrorSum);
            return new DeviceHealthRow(h.AtUnixMs, h.Model, h.Version, h.Shadow, h.Requests, h.Errors, MonitoredFigures.ErrorRate.Of(totals), MonitoredFigures.LatencyP95Ms.Of(totals));
        }).ToList();
        List<ChartSeries> PerVersion(Func<DeviceHealthRow, double> value) =>
            [.. history.Where(h => !h.Shadow).GroupBy(h => h.Model + " " + h.Version).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new ChartSeries(g.Key, [.. g.OrderBy(h => h.AtUnixMs).Select(h => new SeriesPoint(h.AtUnixMs, value(h)))]))];
        return new DeviceView(Row(device, now), device.Record.RegisteredUnixMs, [.. installs.OrderByDescending(i => i.AtUnixMs)], health, now)
        {
            History = history,
            RequestsSeries = PerVersion(h => h.Requests),
            ErrorRateSeries = PerVersion(h => h.ErrorRate),
            LatencySeries = PerVersion(h => h.LatencyP95Ms),
        };
    }

    public async Task<IReadOnlyList<ModelVersionRow>> ModelsAsync(CancellationToken cancellationToken)
    {
        var rows = new List<ModelVersionRow>();
        foreach (var p in await packages.ListAsync(null, cancellationToken).ConfigureAwait(false))
        {
            var manifest = await facts.ManifestAsync(p.Name, p.Version, cancellationToken).ConfigureAwait(false);
            rows.Add(new ModelVersionRow(p.Name, p.Version, p.Sha256, p.Size, p.PublishedUnixMs, manifest?.ModelCard.Purpose ?? string.Empty));
        }

        return [.. rows.OrderBy(r => r.Name, StringComparer.Ordinal).ThenByDescending(r => r.PublishedUnixMs)];
    }

    public async Task<ModelVersionView?> ModelVersionAsync(string name, string version, CancellationToken cancellationToken)
    {
        if (await store.GetPackageAsync(name, version, cancellationToken).ConfigureAwait(false) is not { } p
            || await facts.ManifestAsync(name, version, cancellationToken).ConfigureAwait(false) is not { } manifest)
        {
            return null;
        }

        if (!_signatures.TryGetValue(p.Sha256, out var signed))
        {
            signed = await ReadSignaturesAsync(p, cancellationToken).ConfigureAwait(false);
            _signatures[p.Sha256] = signed; // versions are immutable
        }

        return new ModelVersionView(new ModelVersionRow(p.Name, p.Version, p.Sha256, p.Size, p.PublishedUnixMs, manifest.ModelCard.Purpose), manifest, signed.Publisher, signed.KeyIds, signed.Note);
    }

    public async Task<(IReadOnlyList<RolloutRow> Rows, int Total)> RolloutsAsync(int page, CancellationToken cancellationToken)
    {
        var all = await rollouts.ListAsync(null, cancellationToken).ConfigureAwait(false);
        var rows = new List<RolloutRow>();
        foreach (var r in all.Skip((Math.Max(page, 1) - 1) * RolloutsPerPage).Take(RolloutsPerPage))
        {
            rows.Add(Row(r, await rollouts.StatusAsync(r, cancellationToken).ConfigureAwait(false)));
        }

        return (rows, all.Count);
    }

    public async Task<RolloutView?> RolloutAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.GetRolloutAsync(id, cancellationToken).ConfigureAwait(false) is not { } r)
        {
            return null;
        }

        var now = Now;
        var s = await rollouts.StatusAsync(r, cancellationToken).ConfigureAwait(false);
        var arms = r.Arms.Select((a, i) => new ArmRow(a.Version, a.Weight, s.Arms.ElementAtOrDefault(i).Successes, s.Arms.ElementAtOrDefault(i).Failures)).ToList();

        // The rollout's history (operators' and the controller's changes, with why), and refused operator attempts from the audit log.
        var history = await rollouts.HistoryAsync(r.Id, cancellationToken).ConfigureAwait(false);
        var timeline = history.Where(e => e.Action != "reweighted").Select(e => new TimelineRow(
            e.AtUnixMs, e.Actor.Length == 0 ? "-" : e.Actor, Invariant($"{e.Action} → {e.State}, stage {e.Stage + 1}"), e.Reason, "ok")).ToList();
        foreach (var e in await store.ListAuditAsync(new AuditQuery(0, string.Empty, "rollout " + r.Id, 200), cancellationToken).ConfigureAwait(false))
        {
            if (history.Count == 0 || e.Outcome != "ok")
            {
                timeline.Add(new TimelineRow(e.AtUnixMs, $"{e.Operator} ({e.Role})", e.Action.Replace("Rollout", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), e.Reason, e.Outcome));
            }
        }

        if (history.Count == 0)
        {
            // Rollouts from before the history was kept: their creation from the audit log.
            var created = (await store.ListAuditAsync(new AuditQuery(r.CreatedUnixMs - 60_000, string.Empty, $"model {r.Model} {r.Version}", 20), cancellationToken).ConfigureAwait(false))
                .Where(e => e.Action == "CreateRollout" && e.Outcome == "ok").MinBy(e => Math.Abs(e.AtUnixMs - r.CreatedUnixMs));
            timeline.Add(new TimelineRow(r.CreatedUnixMs, created?.Operator ?? string.Empty, "created", $"{r.Strategy} to {string.Join(", ", r.Stages.Select(Percent))}", "ok"));
        }

        // Bandit arm weights per evaluation that changed them (and at each state change), one line per arm.
        var armHistory = r.Arms.Select(a => new ChartSeries(a.Version, [.. history.Where(e => e.Arms.Count > 0)
            .Select(e => new SeriesPoint(e.AtUnixMs, e.Arms.FirstOrDefault(x => x.Version == a.Version)?.Weight ?? 0))
            .Append(new SeriesPoint(now, a.Weight))])).ToList();
        timeline.Add(new TimelineRow(r.StageStartedUnixMs, string.Empty, $"now {r.State.Name()}, stage {r.CurrentStage + 1} since", r.StateReason, string.Empty));
        var actions = Enum.GetValues<RolloutAction>().Where(a => RolloutService.AppliesTo(a, r.State)).Select(a => a.ToString().ToLowerInvariant()).ToList();
        return new RolloutView(
            Row(r, s), r.Stages, r.StateReason, r.BaselineVersion, r.OnFailure == (int)FailureAction.Pause ? "pause" : "roll back", r.StageStartedUnixMs,
            Gates(r, s, now), arms, [.. timeline.OrderBy(t => t.AtUnixMs)], actions, now)
        {
            ArmHistory = armHistory,
        };
    }

    public async Task<IReadOnlyList<string>> VersionChoicesAsync(CancellationToken cancellationToken) =>
        [.. (await packages.ListAsync(null, cancellationToken).ConfigureAwait(false)).OrderBy(p => p.Name, StringComparer.Ordinal).ThenByDescending(p => p.PublishedUnixMs).Select(p => $"{p.Name} {p.Version}")];

    public async Task<MonitoringView> MonitoringAsync(string model, string version, int hours, CancellationToken cancellationToken)
    {
        var choices = await VersionChoicesAsync(cancellationToken).ConfigureAwait(false);
        var to = Now;
        var windows = await WindowsAsync(model, version, hours, to, cancellationToken).ConfigureAwait(false);
        var from = windows[0].FromUnixMs;
        var (higherIsBetter, metric) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
        ChartSeries Series(string name, Func<StatsWindow, double> value) => new(name, [.. windows.Select(w => new SeriesPoint(w.FromUnixMs, value(w)))]);

        // Slices from the same windows' summaries (one pass over the telemetry), judged as `edge monitor slices` judges them.
        var slices = new List<SliceRow>();
        var note = string.Empty;
        var card = (await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false))?.ModelCard;
        for (var i = 0; i < (card?.Slices.Count ?? 0); i++)
        {
            var total = new SliceOutcomes(0, 0, 0, 0);
            foreach (var o in windows.Select(w => w.Telemetry.Slices.GetValueOrDefault(i)).OfType<SliceOutcomes>())
            {
                total = new SliceOutcomes(total.Requests + o.Requests, total.GroundTruth + o.GroundTruth, total.Correct + o.Correct, total.AbsErrorSum + o.AbsErrorSum);
            }

            var slice = card!.Slices[i];
            var online = MonitoredFigures.SliceMetric.Of(total, higherIsBetter);
            var cardMetric = slice.Metrics.TryGetValue(metric, out var c) ? c : double.NaN;
            var flagged = double.IsFinite(online) && double.IsFinite(cardMetric) && (metric == "mae" ? online > cardMetric * 1.10 : online < cardMetric - 0.05);
            slices.Add(new SliceRow(slice.Name, slice.Definition ?? string.Empty, slice.Where is { Count: > 0 }, total.Requests, total.GroundTruth, online, cardMetric, flagged));
        }

        if (card is null)
        {
            note = $"{model} {version} is not published.";
        }

        var alerts = (await alertRules.ListAlertsAsync(includeResolved: true, cancellationToken).ConfigureAwait(false))
            .Where(a => a.Model == model && (a.Version.Length == 0 || a.Version == version)).Take(50)
            .Select(a => new AlertRow(a.Id, a.RuleId, a.Model, a.Version, a.Metric, a.Value, a.Threshold, a.ResolvedUnixMs is null, a.OpenedUnixMs, a.ResolvedUnixMs ?? 0, a.Message)).ToList();
        var rules = (await alertRules.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(r => r.Model == model && (r.Version.Length == 0 || r.Version == version))
            .Select(r => new AlertRuleRow(r.Id, r.Model, r.Version, Invariant(
                $"{r.Metric}{(r.Feature.Length > 0 ? $"({r.Feature})" : string.Empty)} {(r.Below ? "below" : "above")} {r.Threshold} over {r.WindowSeconds} s, at least {r.MinSamples} samples"))).ToList();
        var totalRequests = windows.Sum(w => w.Telemetry.Requests);
        var reported = windows.Sum(w => (long)w.Health.Read(MonitoredFigures.Requests));
        var errors = windows.Sum(w => (long)w.Health.Read(MonitoredFigures.Errors));
        return new MonitoringView(
            model, version, choices, hours, metric, totalRequests, reported == 0 ? 0 : (double)errors / reported,
            Series("requests", w => w.Telemetry.Requests),
            Series("error rate", w => w.Health.ErrorRate),
            [Series("p50", w => w.Telemetry.LatencyP50Micros / 1000), Series("p95", w => w.Telemetry.LatencyP95Micros / 1000), Series("p99", w => w.Telemetry.LatencyP99Micros / 1000)],
            Series("online " + metric, w => MonitoredFigures.TelemetryOnlineMetric.Of(w.Telemetry, higherIsBetter)),
            slices, alerts, rules, note)
        {
            GateMetrics = [.. GateMetricSeries(windows).Where(x => x.Scored).Select(x => Series(x.Name, x.Value))],
        };
    }

    /// <summary>The evidence figures a version's windows may carry, by display name, and whether any window scored it.</summary>
    private static IEnumerable<(string Name, Func<StatsWindow, double> Value, bool Scored)> GateMetricSeries(List<StatsWindow> windows)
    {
        var k = windows.Count == 0 ? 1 : windows[0].TopK;
        foreach (var (name, figure) in (IEnumerable<(string, Figure)>)[($"top{k} accuracy", MonitoredFigures.TopKAccuracy), ("cer", MonitoredFigures.Cer), ("wer", MonitoredFigures.Wer), ("map", MonitoredFigures.Map)])
        {
            var scored = windows.Any(w => (figure.Source != FigureSource.Detections || w.Detections is not null) && figure.Samples(w.EvidenceInput) > 0);
            yield return (name, w => figure.Source == FigureSource.Detections && w.Detections is null ? double.NaN : figure.Value(w.EvidenceInput), scored);
        }
    }

    public async Task<DriftView> DriftAsync(string model, string version, int hours, CancellationToken cancellationToken)
    {
        try
        {
            var (scores, _) = await monitoring.DriftAsync(model, version, Now - (hours * 3_600_000L), 0, cancellationToken).ConfigureAwait(false);
            return new DriftView(model, version, hours, [.. scores.Select(d => new DriftRow(
                d.Score.Name, d.Score.Kind.ToString(), d.IsOutput, d.Score.Observed, d.Score.MissingFraction,
                MonitoredFigures.Psi.Of(d.Score), MonitoredFigures.Ks.Of(d.Score), MonitoredFigures.JensenShannon.Of(d.Score), d.ReferenceFractions, d.Score.ObservedFractions)
            {
                Verdict = new DriftVerdictRow(d.Samples, d.ReferenceSamples, d.Test, d.PValue, d.Shifted),
            })], string.Empty);
        }
        catch (RejectedException ex)
        {
            return new DriftView(model, version, hours, [], ex.Message);
        }
    }

    public async Task<AuditView> AuditAsync(string op, string target, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 1000);
        var entries = await store.ListAuditAsync(new AuditQuery(0, op, target, limit), cancellationToken).ConfigureAwait(false);
        return new AuditView([.. entries.Select(e => new AuditRow(e.Id, e.AtUnixMs, e.Operator, e.Role, e.Action, e.Target, e.Reason, e.Outcome))], op, target, limit);
    }

    /// <summary>
    /// <see cref="ChartWindows"/> windows aligned to the step (so they are the same from one request to the next), the last
    /// one open until now. Closed windows come from <see cref="MonitoringQueries.VersionStatsAsync"/> once and are reused
    /// for <see cref="ClosedWindowReuse"/>; the open one is read every time.
    /// </summary>
    private async Task<List<StatsWindow>> WindowsAsync(string model, string version, int hours, long now, CancellationToken cancellationToken)
    {
        var step = Math.Max(1, hours * 3600L / ChartWindows) * 1000;
        var lastStart = now - (now % step);
        if (_windows.Count > 10_000)
        {
            _windows.Clear(); // bounded: many versions and ranges, each at most ChartWindows entries
        }

        var result = new List<StatsWindow>();
        for (var start = lastStart - ((ChartWindows - 1) * step); start < lastStart; start += step)
        {
            var key = (model, version, start, step);
            if (!_windows.TryGetValue(key, out var cached) || now - cached.CachedAt > ClosedWindowReuse.TotalMilliseconds)
            {
                cached = ((await monitoring.VersionStatsAsync(model, version, start, start + step, 0, cancellationToken).ConfigureAwait(false))[0], now);
                _windows[key] = cached;
            }

            result.Add(cached.Window);
        }

        if (now > lastStart)
        {
            result.Add((await monitoring.VersionStatsAsync(model, version, lastStart, now, 0, cancellationToken).ConfigureAwait(false))[0]);
        }

        return result;
    }

    private static DeviceRow Row(DeviceEntry d, long now)
    {
        var seen = d.LastSeenUnixMs;
        var status = seen <= 0 ? "offline"
            : now - seen <= OnlineWithin.TotalMilliseconds ? "online"
            : now - seen <= SilentWithin.TotalMilliseconds ? "silent"
            : "offline";
        return new DeviceRow(d.Record.DeviceId, d.Record.Tags, d.Record.Attributes, [.. d.Installed.Select(i => $"{i.Model} {i.Version}")], seen, status, d.Record.RuntimeVersion);
    }

    private static RolloutRow Row(RolloutRecord r, RolloutStatus s) => new(
        r.Id, r.Model, r.Version, r.Strategy.ToString(), r.State.Name(), r.CurrentStage, r.Stages.Count, r.Stages[Math.Clamp(r.CurrentStage, 0, r.Stages.Count - 1)], r.CreatedUnixMs,
        s.Members, s.Succeeded, s.Failed, s.TimedOut, s.Pending);

    /// <summary>Each gate beside its threshold, judged as <see cref="RolloutGateCheck"/> judges it.</summary>
    private static List<GateRow> Gates(RolloutRecord r, RolloutStatus s, long now)
    {
        var g = r.Gates;
        var h = s.Health;
        var gates = new List<GateRow>();
        var allowed = (int)Math.Floor(((1 - g.MinInstallSuccessRate) * s.Members) + 1e-9);
        var bad = s.Failed + s.TimedOut;
        gates.Add(new GateRow(
            "install success", Invariant($"{s.Members - bad} of {s.Members} ({bad} failed or silent)"), $"≥ {ConsoleFormat.Pct(g.MinInstallSuccessRate)} (at most {allowed} failed)",
            bad > allowed ? "failing" : "ok"));
        var enough = h.Totals.Requests >= g.MinRequests;
        gates.Add(new GateRow(
            "error rate", $"{ConsoleFormat.Pct(h.ErrorRate)} on {h.Totals.Requests} requests", $"≤ {ConsoleFormat.Pct(g.MaxErrorRate)} (after {g.MinRequests} requests)",
            !enough ? "waiting" : h.ErrorRate > g.MaxErrorRate ? "failing" : "ok"));
        gates.Add(g.MaxLatencyP95Ms is { } maxLatency
            ? new GateRow("latency p95", Invariant($"{h.LatencyP95Ms:F3} ms"), Invariant($"≤ {maxLatency:F3} ms"), !enough ? "waiting" : h.LatencyP95Ms > maxLatency ? "failing" : "ok")
            : new GateRow("latency p95", Invariant($"{h.LatencyP95Ms:F3} ms"), "no gate", "off"));
        if (g.MaxMetricRegression is { } maxRegression)
        {
            var regression = RolloutGateCheck.MetricRegression(r, s);
            gates.Add(new GateRow(
                "online " + h.MetricName + " vs " + (s.Baseline?.Version ?? "baseline"),
                regression is { } x ? Invariant($"{x:F4} worse ({h.OnlineMetric:F4} on {h.Totals.GroundTruth} labels)") : Invariant($"{h.Totals.GroundTruth} labels so far"),
                Invariant($"≤ {maxRegression:F4} worse (after {g.MinGroundTruth} labels each)"),
                regression is null ? "waiting" : regression > maxRegression ? "failing" : "ok"));
        }
        else
        {
            gates.Add(new GateRow("online " + h.MetricName, double.IsFinite(h.OnlineMetric) ? Invariant($"{h.OnlineMetric:F4} on {h.Totals.GroundTruth} labels") : "no labels", "no gate", "off"));
        }

        gates.Add(new GateRow("firing alerts", s.FiringAlerts.Count.ToString(CultureInfo.InvariantCulture), g.FailOnAlerts ? "none" : "ignored", !g.FailOnAlerts ? "off" : s.FiringAlerts.Count > 0 ? "failing" : "ok"));
        var inStage = (now - r.StageStartedUnixMs) / 1000;
        gates.Add(new GateRow("time in stage", Invariant($"{inStage} s"), Invariant($"≥ {g.StageMinSeconds} s"), inStage >= g.StageMinSeconds ? "ok" : "waiting"));
        return gates;
    }

    private async Task<HealthRow> HealthAsync(string model, string version, long from, long to, CancellationToken cancellationToken)
    {
        var (higherIsBetter, metric) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
        var totals = await store.SumHealthAsync(model, version, false, from, to, cancellationToken).ConfigureAwait(false);
        var h = new VersionHealthSummary(version, false, totals, higherIsBetter, metric);
        return new HealthRow(model, version, totals.Requests, totals.Errors, h.ErrorRate, h.LatencyP95Ms, totals.GroundTruth, h.OnlineMetric, metric);
    }

    /// <summary>The publisher (the same verifier publishing used) and the signing key ids of a stored package.</summary>
    private async Task<(string, IReadOnlyList<string>, string)> ReadSignaturesAsync(PackageRecord p, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = new byte[p.Size];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = await blobs.ReadAsync(p.Sha256, read, bytes.AsMemory(read), cancellationToken).ConfigureAwait(false);
                if (n <= 0)
                {
                    break;
                }

                read += n;
            }

            var keyIds = new List<string>();
            using (var zip = new ZipArchive(new MemoryStream(bytes, 0, read, writable: false), ZipArchiveMode.Read))
            {
                if (zip.GetEntry("signatures.json") is { } entry)
                {
                    await using var stream = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
                    using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (json.RootElement.TryGetProperty("signatures", out var signatures) && signatures.ValueKind == JsonValueKind.Array)
                    {
                        keyIds.AddRange(signatures.EnumerateArray().Select(e => e.TryGetProperty("keyId", out var k) ? k.GetString() ?? string.Empty : string.Empty).Where(k => k.Length > 0));
                    }
                }
            }

            var verified = verifier.Verify(bytes[..read]);
            return (verified.Publisher, keyIds, "verified against the server's trust root now");
        }
        catch (Exception ex) when (ex is EdgeDeploy.Runtime.EdgeException or InvalidDataException or JsonException or IOException)
        {
            return (string.Empty, [], "could not verify now: " + ex.Message);
        }
    }

    private static string Percent(double p) => p.ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
