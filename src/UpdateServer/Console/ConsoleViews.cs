using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.WebConsole;

// What the console's pages show, as plain records: Razor components are public classes, so their parameters are public
// types too; the server's own types stay internal. One file for these small records, the pages' "view models".

/// <summary>The signed-in operator and the page's antiforgery token.</summary>
public sealed record ConsoleUser(string Name, string Role, bool CanSteer, string AntiforgeryField, string AntiforgeryToken);

/// <summary>One device in the fleet list.</summary>
public sealed record DeviceRow(
    string Id, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Serving, long LastSeenUnixMs, string Status, string RuntimeVersion);

/// <summary>The fleet page: one page of devices matching the filters.</summary>
public sealed record FleetView(
    IReadOnlyList<DeviceRow> Devices, int Total, int Matching, int Page, int PageSize, string Tag, string Model, string Status,
    IReadOnlyList<string> AllTags, IReadOnlyList<string> AllModels, IReadOnlyDictionary<string, int> StatusCounts, long NowUnixMs);

/// <summary>One install report of a device.</summary>
public sealed record InstallRow(string RolloutId, string Model, string Version, bool Success, string Reason, long AtUnixMs);

/// <summary>Reported health of one version over a window.</summary>
public sealed record HealthRow(string Model, string Version, long Requests, long Errors, double ErrorRate, double LatencyP95Ms, long GroundTruth, double OnlineMetric, string MetricName);

/// <summary>The device page.</summary>
public sealed record DeviceView(DeviceRow Device, long RegisteredUnixMs, IReadOnlyList<InstallRow> Installs, IReadOnlyList<HealthRow> Health, long NowUnixMs)
{
    /// <summary>The device's own health reports over <see cref="ConsoleQueries.DeviceHistoryWindow"/>, newest first.</summary>
    public IReadOnlyList<DeviceHealthRow> History { get; init; } = [];

    /// <summary>Per served version: requests, error rate and latency p95 of each report, oldest first (the device page's charts).</summary>
    public IReadOnlyList<ChartSeries> RequestsSeries { get; init; } = [];

    public IReadOnlyList<ChartSeries> ErrorRateSeries { get; init; } = [];

    public IReadOnlyList<ChartSeries> LatencySeries { get; init; } = [];
}

/// <summary>One health report of one device: what it served of one version over its report window.</summary>
public sealed record DeviceHealthRow(long AtUnixMs, string Model, string Version, bool Shadow, long Requests, long Errors, double ErrorRate, double LatencyP95Ms);

/// <summary>One published version.</summary>
public sealed record ModelVersionRow(string Name, string Version, string Sha256, long Size, long PublishedUnixMs, string Purpose);

/// <summary>The version page: its verified manifest, who published and signed it.</summary>
public sealed record ModelVersionView(ModelVersionRow Row, PackageManifest Manifest, string Publisher, IReadOnlyList<string> SignatureKeyIds, string VerifyNote);

/// <summary>One rollout in the list (and the head of its page).</summary>
public sealed record RolloutRow(
    string Id, string Model, string Version, string Strategy, string State, int Stage, int StageCount, double Percent, long CreatedUnixMs,
    int Members, int Installed, int Failed, int Silent, int Pending);

/// <summary>A gate's current value beside its threshold; Verdict is ok, failing, waiting or off.</summary>
public sealed record GateRow(string Name, string Current, string Threshold, string Verdict);

/// <summary>A state change or operator action on a rollout.</summary>
public sealed record TimelineRow(long AtUnixMs, string Who, string What, string Why, string Outcome);

/// <summary>A bandit arm: its weight now and its evidence.</summary>
public sealed record ArmRow(string Version, double Weight, long Successes, long Failures);

/// <summary>The rollout page.</summary>
public sealed record RolloutView(
    RolloutRow Row, IReadOnlyList<double> Stages, string StateReason, string Baseline, string OnFailure, long StageStartedUnixMs,
    IReadOnlyList<GateRow> Gates, IReadOnlyList<ArmRow> Arms, IReadOnlyList<TimelineRow> Timeline, IReadOnlyList<string> Actions, long NowUnixMs)
{
    /// <summary>Bandit only: each arm's weight over time (per recorded evaluation), one series per arm.</summary>
    public IReadOnlyList<ChartSeries> ArmHistory { get; init; } = [];
}

/// <summary>A point of a time series.</summary>
public sealed record SeriesPoint(long AtUnixMs, double Value);

/// <summary>A named time series for a line chart.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<SeriesPoint> Points);

/// <summary>One model-card slice online, beside the card.</summary>
public sealed record SliceRow(string Name, string Definition, bool HasPredicate, long Requests, long GroundTruth, double Online, double Card, bool Flagged);

/// <summary>An alert, firing or resolved.</summary>
public sealed record AlertRow(string Id, string RuleId, string Model, string Version, string Metric, double Value, double Threshold, bool Firing, long OpenedUnixMs, long ResolvedUnixMs, string Message);

/// <summary>An alert rule, described as the CLI does.</summary>
public sealed record AlertRuleRow(string Id, string Model, string Version, string Description);

/// <summary>The monitoring page of one version.</summary>
public sealed record MonitoringView(
    string Model, string Version, IReadOnlyList<string> Choices, int Hours, string MetricName, long Requests, double ErrorRate,
    ChartSeries RequestsSeries, ChartSeries ErrorRateSeries, IReadOnlyList<ChartSeries> Latency, ChartSeries Online,
    IReadOnlyList<SliceRow> Slices, IReadOnlyList<AlertRow> Alerts, IReadOnlyList<AlertRuleRow> Rules, string Note)
{
    /// <summary>The package's gate metrics online (top-k accuracy, CER, WER, mAP), one series each where any window scored them.</summary>
    public IReadOnlyList<ChartSeries> GateMetrics { get; init; } = [];
}

/// <summary>One feature's or output's drift.</summary>
public sealed record DriftRow(string Name, string Kind, bool IsOutput, long Observed, double MissingFraction, double Psi, double Ks, double JensenShannon, IReadOnlyList<double> Reference, IReadOnlyList<double> Live)
{
    /// <summary>Non-missing observations scored (n), the reference's training rows (m), the two-sample test and its p-value, and <see cref="DriftAssessment"/>'s verdict.</summary>
    public DriftVerdictRow Verdict { get; init; } = new(0, 0, string.Empty, double.NaN, false);
}

/// <summary>The drift verdict beside the scores: n, m, the test, its p-value and whether the feature counts as shifted (the rule alerts apply).</summary>
public sealed record DriftVerdictRow(long Samples, int ReferenceSamples, string Test, double PValue, bool Shifted);

/// <summary>The drift page of one version.</summary>
public sealed record DriftView(string Model, string Version, int Hours, IReadOnlyList<DriftRow> Features, string Note);

/// <summary>One audit entry.</summary>
public sealed record AuditRow(long Id, long AtUnixMs, string Operator, string Role, string Action, string Target, string Reason, string Outcome);

/// <summary>The audit page.</summary>
public sealed record AuditView(IReadOnlyList<AuditRow> Entries, string Operator, string Target, int Limit);

/// <summary>One named series of a bar chart, a value per bin.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values);
