namespace EdgeDeploy.UpdateServer;

/// <summary>Server settings (configuration section "EdgeDeploy"); defaults stated on each property.</summary>
public sealed class UpdateServerOptions
{
    /// <summary>
    /// Where the SQLite database, package blobs and the assignment key live. Default "./edgedeploy-data". A relative path
    /// (this one, <see cref="TrustDirectory"/>) is resolved against the working directory at start.
    /// </summary>
    public string DataDirectory { get; set; } = "edgedeploy-data";

    /// <summary>
    /// Where state lives: "sqlite" (files in <see cref="DataDirectory"/>) or a PostgreSQL connection string
    /// ("Host=db;Database=edgedeploy;Username=...;Password=..." or "postgres://user:password@db:5432/edgedeploy"), which
    /// several replicas may share. Default "sqlite".
    /// </summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>Trust directory uploads are verified against; it must hold root.json. Required.</summary>
    public string TrustDirectory { get; set; } = string.Empty;

    /// <summary>Bearer token operators present. Required.</summary>
    public string OperatorToken { get; set; } = string.Empty;

    /// <summary>
    /// A shared enrolment secret any device may present to register (the embedded demo, small fleets). Optional: empty
    /// turns it off, so only enrolment tokens an admin issues (<c>edge enrol create</c>: limited-use, expiring,
    /// per-device) enrol devices. Default empty.
    /// </summary>
    public string EnrollmentToken { get; set; } = string.Empty;

    /// <summary>Bytes per download chunk. Default 64 KiB.</summary>
    public int DownloadChunkBytes { get; set; } = 64 * 1024;

    /// <summary>How long a signed assignment stays valid. Default 5 minutes.</summary>
    public TimeSpan AssignmentLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest package accepted for upload. Default 1 GiB.</summary>
    public long MaxPackageBytes { get; set; } = 1L << 30;

    /// <summary>How often rollouts are evaluated against their health gates. Default 5 s.</summary>
    public TimeSpan RolloutEvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often batched check-ins (last seen, installed versions) are written to storage. Default 1 s.</summary>
    public TimeSpan CheckInFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A device checking in again within this window, with nothing changed, gets the same signed assignment back instead
    /// of a fresh signature. Must stay well under <see cref="AssignmentLifetime"/>. Default 30 s; zero signs every time.
    /// </summary>
    public TimeSpan AssignmentReuse { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most records accepted in one telemetry batch. Default 10,000.</summary>
    public int MaxTelemetryBatchRecords { get; set; } = 10_000;

    /// <summary>
    /// Largest raw input accepted with one telemetry record (the encoded tensors a device samples for retraining); a batch
    /// with a bigger one is refused whole, naming the record. Default 16 KiB.
    /// </summary>
    public int MaxRawInputBytes { get; set; } = 16 * 1024;

    /// <summary>Largest health report accepted (versions per report). Default 64.</summary>
    public int MaxHealthVersionsPerReport { get; set; } = 64;

    /// <summary>Longest device id accepted (letters, digits and <c>. _ - : @</c>). Default 128.</summary>
    public int MaxDeviceIdLength { get; set; } = 128;

    /// <summary>Most tags a device may register with. Default 64.</summary>
    public int MaxDeviceTags { get; set; } = 64;

    /// <summary>Longest tag, attribute key or attribute value, in characters. Default 256.</summary>
    public int MaxDeviceTagLength { get; set; } = 256;

    /// <summary>Most attributes a device may register with. Default 64.</summary>
    public int MaxDeviceAttributes { get; set; } = 64;

    /// <summary>Most bytes (UTF-8) of all a device's attribute keys and values together. Default 64 KiB.</summary>
    public int MaxDeviceAttributeBytes { get; set; } = 64 * 1024;

    /// <summary>Most drift features (inputs and outputs) per version in one health report. Default 256.</summary>
    public int MaxHealthDriftFeatures { get; set; } = 256;

    /// <summary>
    /// The most requests one device can plausibly serve per second: a health report's requests, labels, drift counts
    /// and latency counts may not exceed this times the seconds since the device's last accepted report (or its
    /// registration), and never less than <see cref="HealthReportWindowFloor"/>'s worth. Default 100,000.
    /// </summary>
    public long MaxDeviceRequestsPerSecond { get; set; } = 100_000;

    /// <summary>The least interval a health report's counts are measured against (reports sent close together). Default 60 s.</summary>
    public TimeSpan HealthReportWindowFloor { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Telemetry records one device may send per minute (per server instance); more is refused with ResourceExhausted. Default 60,000.</summary>
    public int TelemetryRecordsPerDevicePerMinute { get; set; } = 60_000;

    /// <summary>Telemetry payload bytes one device may send per minute (per server instance). Default 32 MiB.</summary>
    public long TelemetryBytesPerDevicePerMinute { get; set; } = 32L << 20;

    /// <summary>
    /// The HTTP/1.1 listener for /metrics, /healthz and /readyz, separate from gRPC's HTTP/2 one (<c>--urls</c>):
    /// semicolon-separated URLs like <c>urls</c>. Default "http://localhost:5080"; empty turns it off.
    /// </summary>
    public string HttpUrls { get; set; } = "http://localhost:5080";

    /// <summary>Free space the data directory's file system must keep for the server to report ready. Default 100 MiB.</summary>
    public long MinFreeDiskBytes { get; set; } = 100L << 20;

    /// <summary>OTLP export of metrics and traces; off by default.</summary>
    public UpdateServerOtlpOptions Otlp { get; set; } = new();

    /// <summary>Alert webhook delivery: timeouts, retries with backoff, dead letters (defaults on each property).</summary>
    public UpdateServerWebhookOptions Webhooks { get; set; } = new();

    /// <summary>
    /// Makes <see cref="DataDirectory"/> and <see cref="TrustDirectory"/> absolute against <paramref name="baseDirectory"/>
    /// (the working directory at start), so they mean what the operator typed wherever the host later looks them up.
    /// </summary>
    internal UpdateServerOptions ResolvePaths(string baseDirectory)
    {
        DataDirectory = Absolute(DataDirectory, baseDirectory);
        TrustDirectory = Absolute(TrustDirectory, baseDirectory);
        return this;
    }

    /// <summary>
    /// Whether a device that enrols (with any enrolment token) waits for an admin to accept it (<c>edge devices accept</c>)
    /// before its credential works and it joins rollouts. Default false.
    /// </summary>
    public bool RequireDeviceApproval { get; set; }

    /// <summary>
    /// Replicas on one PostgreSQL database: how often each polls the store's change counters to pick up rollouts, packages
    /// and devices changed through another replica. A change reaches devices checking in anywhere within this interval plus
    /// one query (at most 2 s with the default). Unused on SQLite. Default 1 s; at most 1 minute.
    /// </summary>
    public TimeSpan ChangePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Retention: telemetry (predictions, ground truth, batch receipts) older than this is deleted. Default 30 days; at least 1 hour.</summary>
    public TimeSpan TelemetryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Retention: health reports and drift counts older than this are deleted. Keep it longer than the longest rollout stage
    /// and alert window, which read them. Default 90 days; at least 1 hour.
    /// </summary>
    public TimeSpan HealthRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// Retention by size: at most this many predictions are kept (with their ground truth); beyond it whole hours go, oldest
    /// first, even when younger than <see cref="TelemetryRetention"/>. 0 = no size cap. Default 100,000,000 (about 10 GB on
    /// SQLite).
    /// </summary>
    public long TelemetryMaxPredictions { get; set; } = 100_000_000;

    /// <summary>
    /// Retention by size: at most this many health reports and drift counts together; beyond it whole hours go, oldest first.
    /// 0 = no size cap. Default 20,000,000.
    /// </summary>
    public long HealthMaxRows { get; set; } = 20_000_000;

    /// <summary>How often the leader applies retention (<see cref="TelemetryRetention"/>, <see cref="HealthRetention"/>, and the size caps). Default 1 hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Checks every setting; called once, at start (<c>ValidateOnStart</c>).</summary>
    /// <exception cref="ArgumentException">A required setting is missing or a value is out of range; the message names the setting.</exception>
    public void Validate()
    {
        Require(TrustDirectory, nameof(TrustDirectory));
        if (!File.Exists(Path.Combine(TrustDirectory, "root.json")))
        {
            throw new ArgumentException(
                $"EdgeDeploy:TrustDirectory '{Path.GetFullPath(TrustDirectory)}' has no root.json; point it at a trust directory (models/trust for the samples, or one made with `edge root trust`).",
                nameof(TrustDirectory));
        }

        Require(OperatorToken, nameof(OperatorToken));
        if (EnrollmentToken.Length > 0 && string.IsNullOrWhiteSpace(EnrollmentToken))
        {
            throw new ArgumentException("EdgeDeploy:EnrollmentToken is only whitespace; leave it empty to accept admin-issued enrolment tokens only.", nameof(EnrollmentToken));
        }

        Require(DataDirectory, nameof(DataDirectory));
        Positive(DownloadChunkBytes, nameof(DownloadChunkBytes));
        Positive(MaxPackageBytes, nameof(MaxPackageBytes));
        Positive(MaxTelemetryBatchRecords, nameof(MaxTelemetryBatchRecords));
        Positive(MaxRawInputBytes, nameof(MaxRawInputBytes));
        Positive(MaxHealthVersionsPerReport, nameof(MaxHealthVersionsPerReport));
        Positive(MaxDeviceIdLength, nameof(MaxDeviceIdLength));
        Positive(MaxDeviceTags, nameof(MaxDeviceTags));
        Positive(MaxDeviceTagLength, nameof(MaxDeviceTagLength));
        Positive(MaxDeviceAttributes, nameof(MaxDeviceAttributes));
        Positive(MaxDeviceAttributeBytes, nameof(MaxDeviceAttributeBytes));
        Positive(MaxHealthDriftFeatures, nameof(MaxHealthDriftFeatures));
        Positive(MaxDeviceRequestsPerSecond, nameof(MaxDeviceRequestsPerSecond));
        Positive(HealthReportWindowFloor.Ticks, nameof(HealthReportWindowFloor));
        Positive(TelemetryRecordsPerDevicePerMinute, nameof(TelemetryRecordsPerDevicePerMinute));
        Positive(TelemetryBytesPerDevicePerMinute, nameof(TelemetryBytesPerDevicePerMinute));
        if (MinFreeDiskBytes < 0)
        {
            throw new ArgumentException($"EdgeDeploy:MinFreeDiskBytes must be zero or more; it is {MinFreeDiskBytes}.", nameof(MinFreeDiskBytes));
        }

        if (Otlp.Protocol is not ("grpc" or "http/protobuf"))
        {
            throw new ArgumentException($"EdgeDeploy:Otlp:Protocol must be 'grpc' or 'http/protobuf'; it is '{Otlp.Protocol}'.", "Otlp.Protocol");
        }

        if (!string.IsNullOrWhiteSpace(Otlp.Endpoint) && !Uri.TryCreate(Otlp.Endpoint, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"EdgeDeploy:Otlp:Endpoint must be an absolute URL such as http://otel-collector:4317; it is '{Otlp.Endpoint}'.", "Otlp.Endpoint");
        }

        Webhooks.Validate();
        if (MaxDeviceIdLength > 1024)
        {
            throw new ArgumentException($"EdgeDeploy:MaxDeviceIdLength must be at most 1024; it is {MaxDeviceIdLength}.", nameof(MaxDeviceIdLength));
        }

        Positive(AssignmentLifetime.Ticks, nameof(AssignmentLifetime));
        Positive(RolloutEvaluationInterval.Ticks, nameof(RolloutEvaluationInterval));
        Positive(CheckInFlushInterval.Ticks, nameof(CheckInFlushInterval));
        Positive(ChangePollInterval.Ticks, nameof(ChangePollInterval));
        Positive(RetentionInterval.Ticks, nameof(RetentionInterval));
        if (ChangePollInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"EdgeDeploy:ChangePollInterval must be at most 00:01:00; it is {ChangePollInterval}.", nameof(ChangePollInterval));
        }

        foreach (var (retention, name) in new[] { (TelemetryRetention, nameof(TelemetryRetention)), (HealthRetention, nameof(HealthRetention)) })
        {
            if (retention < TimeSpan.FromHours(1))
            {
                throw new ArgumentException($"EdgeDeploy:{name} must be at least 01:00:00; it is {retention}.", name);
            }
        }

        foreach (var (cap, name) in new[] { (TelemetryMaxPredictions, nameof(TelemetryMaxPredictions)), (HealthMaxRows, nameof(HealthMaxRows)) })
        {
            if (cap < 0)
            {
                throw new ArgumentException($"EdgeDeploy:{name} must be 0 (no cap) or more; it is {cap}.", name);
            }
        }

        if (AssignmentReuse < TimeSpan.Zero || AssignmentReuse >= AssignmentLifetime)
        {
            throw new ArgumentException(
                $"EdgeDeploy:AssignmentReuse must be zero or more and under EdgeDeploy:AssignmentLifetime ({AssignmentLifetime}); it is {AssignmentReuse}.", nameof(AssignmentReuse));
        }
    }

    private static string Absolute(string path, string baseDirectory) =>
        string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path, baseDirectory);

    private static void Require(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"Configure EdgeDeploy:{name}; it is required.", name);
        }
    }

    private static void Positive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"EdgeDeploy:{name} must be positive; it is {value}.", name);
        }
    }
}
