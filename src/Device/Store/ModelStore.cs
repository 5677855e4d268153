using System.Diagnostics;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// The device model store for one model name: packages are verified, gated (end-to-end set, confidence metric, memory
/// budget) and only then activated, atomically and crash-safely; earlier versions stay loaded or on disk for instant
/// rollback; a candidate can run in shadow; traffic can be split across versions by weight. Predictions never fail
/// because of a swap: callers racing a swap retry on the new model, and the old one is released when its last call ends.
/// </summary>
public sealed class ModelStore : IDisposable
{
    /// <summary>
    /// The <see cref="System.Diagnostics.Metrics.Meter"/> name of the device layer's instruments: swaps
    /// (<c>edgedeploy.device.swaps</c>), gate results (<c>edgedeploy.device.gate.results</c>) and the telemetry outbox depth
    /// (<c>edgedeploy.device.outbox.depth</c>). Predict latency and errors are on <see cref="EdgeModel.MeterName"/>.
    /// </summary>
    public const string MeterName = "EdgeDeploy.Device";

    private readonly ModelStoreOptions _options;
    private readonly StoreLayout _layout;
    private readonly PackageVerifier _verifier;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LoadedVersion> _loaded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _standby = new(StringComparer.Ordinal);
    private readonly HealthTracker _health;
    private volatile string? _suspendedReason;
    private ServingSet? _serving;
    private ShadowRunner? _shadow;
    private StorePointer? _pointer;
    private (LoadedVersion Version, GateReport Gate)? _pending;
    private bool _disposed;

    private ModelStore(ModelStoreOptions options, StoreLayout layout)
    {
        _options = options;
        _layout = layout;
        _verifier = new PackageVerifier(options.Trust, options.VerifierOptions);
        _logger = options.LoggerFactory?.CreateLogger<ModelStore>() ?? NullLogger<ModelStore>.Instance;
        _health = new HealthTracker(options.GroundTruthWindow);
    }

    /// <summary>The model name this store serves, once something was installed.</summary>
    public string? ModelName => _pointer?.Name;

    /// <summary>The serving version, or null before the first activation.</summary>
    public string? ActiveVersion => Volatile.Read(ref _serving)?.Primary.Version;

    /// <summary>The serving model's schema, or null before the first activation.</summary>
    public ModelSchema? ActiveSchema => Volatile.Read(ref _serving)?.Primary.Model.Schema;

    /// <summary>A verified, gated version waiting for the host to allow the swap.</summary>
    public string? PendingVersion => _pending?.Version.Version;

    /// <summary>Versions on disk that passed the gate, newest activation first.</summary>
    public IReadOnlyList<string> InstalledVersions => _layout.InstalledVersions;

    /// <summary>Opens (or creates) a store and loads the active version, if any, from disk.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the options are invalid.</exception>
    public static ModelStore Open(ModelStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var store = new ModelStore(options, StoreLayout.Open(options.Directory));
        var (pointer, loaded) = store._layout.Recover(store.LoadInstalled, store._logger);
        store._pointer = pointer;
        if (loaded is not null)
        {
            Volatile.Write(ref store._serving, new ServingSet(loaded, []));
        }

        return store;
    }

    /// <summary>Verifies, gates and activates the package file at <paramref name="packagePath"/>.</summary>
    /// <exception cref="EdgeException">A verification code when the package is not trustworthy; nothing changes.</exception>
    public InstallResult Install(string packagePath, ExpectedPackage? expected = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        var file = new FileInfo(packagePath);
        if (!file.Exists)
        {
            throw new EdgeException(EdgeErrorCode.PackageNotFound, $"Package file '{packagePath}' does not exist.");
        }

        _verifier.CheckPackageSize(file.Length); // from the file's metadata: an oversize file is refused without reading it
        _verifier.CheckArchiveStructure(packagePath); // only the zip's central directory: a junk file is refused without reading it whole
        return Install(File.ReadAllBytes(packagePath), expected);
    }

    /// <summary>Verifies, gates and activates package bytes.</summary>
    public InstallResult Install(byte[] package, ExpectedPackage? expected = null) => Install(package, expected, activate: true);

    /// <summary>
    /// Verifies and gates package bytes; with <paramref name="activate"/> false the version is kept installed and loaded
    /// on standby (<see cref="InstallOutcome.Installed"/>) so a later <see cref="Activate"/> is instant (blue/green).
    /// </summary>
    public InstallResult Install(byte[] package, ExpectedPackage? expected, bool activate)
    {
        ArgumentNullException.ThrowIfNull(package);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var staged = _layout.Stage(package);
            try
            {
                var verified = _verifier.Verify(package, expected);
                var m = verified.Manifest;
                _options.Capabilities.Check(m);
                if (_pointer is not null && _pointer.Name != m.Name)
                {
                    throw new EdgeException(EdgeErrorCode.PackageMismatch, $"This store serves '{_pointer.Name}'; it cannot install '{m.Name}'.");
                }

                if (ActiveVersion == m.Version)
                {
                    return new InstallResult(InstallOutcome.AlreadyActive, m.Version, null);
                }

                if (!activate && _loaded.ContainsKey(m.Version) && InstalledVersions.Contains(m.Version))
                {
                    _standby.Add(m.Version);
                    return new InstallResult(InstallOutcome.Installed, m.Version, null);
                }

                var (loaded, gate) = LoadAndGate(verified);
                if (!gate.Passed)
                {
                    loaded.Model.Dispose();
                    _layout.Reject(m.Version, gate, _options.TimeProvider.GetUtcNow());
                    StoreLog.Rejected(_logger, m.Name, m.Version, gate.Reason!);
                    return new InstallResult(InstallOutcome.Rejected, m.Version, gate);
                }

                _layout.Commit(staged, m.Version, gate, _options.TimeProvider.GetUtcNow());
                _options.Trust.RecordInstalled(m.Name, m.Version);
                ReplaceLoaded(loaded, verified);
                if (!activate)
                {
                    _standby.Add(m.Version);
                    return new InstallResult(InstallOutcome.Installed, m.Version, gate);
                }

                return ActivateLoaded(loaded, gate, isRollback: false);
            }
            finally
            {
                StoreLayout.Discard(staged);
            }
        }
    }

    /// <summary>Activates the deferred version if the host now allows it.</summary>
    /// <returns>True when it is now serving.</returns>
    public bool TryActivatePending()
    {
        lock (_lock)
        {
            if (_pending is not { } pending)
            {
                return false;
            }

            return ActivateLoaded(pending.Version, pending.Gate, isRollback: false).Outcome == InstallOutcome.Activated;
        }
    }

    /// <summary>Switches back to the version that served before the current one: a pointer write and a reference swap.</summary>
    /// <returns>The version now serving.</returns>
    public string Rollback()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var previous = _pointer?.History.FirstOrDefault()
                ?? throw new EdgeException(EdgeErrorCode.InvalidArgument, "There is no earlier version to roll back to.");
            var target = _loaded.TryGetValue(previous, out var warm) ? warm : LoadInstalled(previous);
            var result = ActivateLoaded(target, null, isRollback: true);
            if (result.Outcome != InstallOutcome.Activated)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The host deferred the rollback to {previous}.");
            }

            return previous;
        }
    }

    /// <summary>
    /// Makes an installed version (standby, earlier or newer) the serving one: a pointer write and a reference swap.
    /// The update agent uses it to follow the server's assignment (blue/green switch, rollback to a baseline).
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.PackageNotFound"/> when the version is not installed.</exception>
    public InstallResult Activate(string version)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ActivateCore(version);
        }
    }

    /// <summary>Keeps exactly these installed versions loaded on standby (instant <see cref="Activate"/>); others are released.</summary>
    public void SetStandby(IReadOnlyList<string> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SetStandbyCore(versions);
        }
    }

    /// <summary>Stops serving: every <see cref="Predict(IReadOnlyDictionary{string, EdgeTensor})"/> fails with <see cref="EdgeErrorCode.OfflineGraceExpired"/> until <see cref="ResumeServing"/>.</summary>
    public void SuspendServing(string reason) => _suspendedReason = reason;

    /// <summary>Serves again after <see cref="SuspendServing"/>.</summary>
    public void ResumeServing() => _suspendedReason = null;

    /// <summary>True while serving is suspended.</summary>
    public bool IsServingSuspended => _suspendedReason is not null;

    /// <summary>Serving health per version since the previous call (the update agent reports it); resets the counts.</summary>
    public IReadOnlyList<VersionHealth> TakeHealth() => _health.Take();

    /// <summary>Runs the serving model (or a weighted route) on <paramref name="inputs"/>. Thread-safe; never fails because of a swap.</summary>
    /// <exception cref="EdgeException">Validation codes, or <see cref="EdgeErrorCode.InvalidArgument"/> before the first activation.</exception>
    public ServedPrediction Predict(IReadOnlyDictionary<string, EdgeTensor> inputs) => Predict(inputs, version: null);

    /// <summary>
    /// The versions serving right now, the primary first and then the other routed ones (an inference server's
    /// explicitly requestable versions); empty before the first activation.
    /// </summary>
    internal IReadOnlyList<string> ServingVersions => Volatile.Read(ref _serving) is { } set
        ? [set.Primary.Version, .. set.Routes.Select(r => r.Version.Version).Where(v => v != set.Primary.Version).Distinct(StringComparer.Ordinal)]
        : [];

    /// <summary>The schema of a serving version (<see cref="ServingVersions"/>), or null when it does not serve.</summary>
    internal ModelSchema? ServingSchema(string version) => Volatile.Read(ref _serving)?.Find(version)?.Model.Schema;

    /// <summary>
    /// <see cref="Predict(IReadOnlyDictionary{string, EdgeTensor})"/> on one serving version instead of the route's
    /// choice (an inference server's <c>/versions/{v}/infer</c>); null lets the route choose.
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.PackageNotFound"/> when <paramref name="version"/> does not serve.</exception>
    internal ServedPrediction Predict(IReadOnlyDictionary<string, EdgeTensor> inputs, string? version)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (_suspendedReason is { } suspended)
        {
            throw new EdgeException(EdgeErrorCode.OfflineGraceExpired, suspended);
        }

        while (true)
        {
            var set = Volatile.Read(ref _serving) ?? throw new EdgeException(EdgeErrorCode.InvalidArgument, "No model is active yet; install a package first.");
            var route = version is null ? set.Choose() : set.Find(version)
                ?? throw new EdgeException(EdgeErrorCode.PackageNotFound, $"Version {version} of '{set.Primary.Name}' is not serving (serving: {string.Join(", ", ServingVersions)}).");
            var started = Stopwatch.GetTimestamp();
            Prediction? prediction;
            try
            {
                route.Model.Validate(inputs);
                prediction = route.Model.TryRunValidated(inputs);
            }
            catch (EdgeException)
            {
                _health.Failed(route.Version, shadow: false);
                throw;
            }

            if (prediction is null)
            {
                continue; // swapped and released between reading the set and taking the lease: use the new set
            }

            var latency = Stopwatch.GetElapsedTime(started);
            var id = PredictionIds.Next();
            _health.Served(id, route, shadow: false, latency, prediction);
            _options.Telemetry?.RecordPrediction(id, route.Name, route.Version, latency, inputs, prediction, shadow: false);
            Volatile.Read(ref _shadow)?.Submit(id, inputs, prediction);
            return new ServedPrediction(id, route.Version, prediction);
        }
    }

    /// <summary>
    /// For a second process serving the same store directory (<c>edge serve</c> beside <c>edge agent</c>): when the
    /// directory's active pointer names another installed version than this instance serves, loads that version
    /// (verified again) and serves it, without writing anything: the process that moved the pointer owns it.
    /// </summary>
    /// <returns>The version now serving when it changed; null when nothing changed.</returns>
    internal string? FollowActivePointer()
    {
        lock (_lock)
        {
            if (_disposed || _layout.ReadPointer() is not { } onDisk || onDisk.Active == ActiveVersion || !_layout.InstalledVersions.Contains(onDisk.Active))
            {
                return null;
            }

            var loaded = GetOrLoad(onDisk.Active);
            _pointer = onDisk;
            Volatile.Write(ref _serving, new ServingSet(loaded, []));
            _pending = null;
            ReleaseUnused();
            return onDisk.Active;
        }
    }

    /// <summary>Attaches the true label to an earlier prediction (recorded by telemetry).</summary>
    public void RecordGroundTruth(Guid predictionId, double label)
    {
        _health.GroundTruth(predictionId, label);
        _options.Telemetry?.RecordGroundTruth(predictionId, label);
    }

    /// <summary>
    /// Attaches the true text to an earlier prediction of a sequence model (recorded by telemetry, so the server scores the
    /// package's CER/WER metrics online against the text the device decoded).
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the text is longer than <see cref="TelemetryEvidence.MaxTextLength"/>.</exception>
    public void RecordGroundTruth(Guid predictionId, string text)
    {
        var truth = StructuredTruth.Text(text);
        _options.Telemetry?.RecordTruth(predictionId, truth);
    }

    /// <summary>
    /// Attaches the true boxes <c>[M, 4]</c> (x1, y1, x2, y2) and their classes <c>[M]</c> to an earlier prediction of a
    /// detector (recorded by telemetry, so the server scores the package's mAP metric online).
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the shapes disagree or there are more than <see cref="TelemetryEvidence.MaxDetections"/> boxes.</exception>
    public void RecordGroundTruth(Guid predictionId, EdgeTensor boxes, EdgeTensor classes)
    {
        var truth = StructuredTruth.Detections(boxes, classes);
        _options.Telemetry?.RecordTruth(predictionId, truth);
    }

    /// <summary>Runs <paramref name="version"/> (installed and gated) silently beside the serving model; null stops shadowing.</summary>
    public void SetShadow(string? version)
    {
        lock (_lock)
        {
            SetShadowCore(version);
        }
    }

    /// <summary>The shadow comparison so far, or null when no shadow runs.</summary>
    public ShadowStatistics? ShadowStatistics => Volatile.Read(ref _shadow)?.Statistics;

    /// <summary>
    /// Splits traffic across installed versions by weight (canary or bandit assignment from the server); each prediction
    /// reports the version that served it. An empty list sends everything to the active version.
    /// </summary>
    public void SetRoutes(IReadOnlyList<VersionWeight> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        lock (_lock)
        {
            SetRoutesCore(routes);
        }
    }

    /// <summary>
    /// Makes the store serve what <paramref name="plan"/> says, in one step under the store's lock: the heaviest
    /// installed serving version becomes the primary (unless the host defers the swap), the installed serving versions
    /// split traffic by weight when there are several, the first installed shadow candidate runs beside it, and the
    /// installed standby versions stay loaded. Versions not installed yet are left out until a later apply.
    /// </summary>
    public void Apply(ServingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var installed = _layout.InstalledVersions;
            var activeAtStart = ActiveVersion;
            bool Ready(string v) => v == activeAtStart || installed.Contains(v);

            var serving = plan.Serving.Where(v => Ready(v.Version)).ToList();
            if (serving.Count > 0)
            {
                var primary = serving.MaxBy(v => v.Weight)!;
                if (ActiveVersion != primary.Version && PendingVersion != primary.Version)
                {
                    ActivateCore(primary.Version);
                }

                if (ActiveVersion == primary.Version)
                {
                    SetRoutesCore(serving.Count > 1 ? serving : []);
                }
            }

            var shadow = plan.Shadow.FirstOrDefault(Ready);
            if (ActiveVersion is not null && ShadowStatistics?.ShadowVersion != shadow)
            {
                SetShadowCore(shadow);
            }

            SetStandbyCore([.. plan.Standby.Where(v => Ready(v) && v != ActiveVersion)]);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _shadow?.Dispose();
            Volatile.Write(ref _serving, null);
            foreach (var v in _loaded.Values)
            {
                v.Model.Dispose();
            }

            _loaded.Clear();
        }
    }

    private InstallResult ActivateCore(string version)
    {
        if (ActiveVersion == version)
        {
            return new InstallResult(InstallOutcome.AlreadyActive, version, null);
        }

        var isRollback = _pointer?.History.Contains(version) == true;
        var result = ActivateLoaded(GetOrLoad(version), null, isRollback);
        if (result.Outcome == InstallOutcome.Activated)
        {
            _standby.Remove(version);
        }

        return result;
    }

    private void SetStandbyCore(IReadOnlyList<string> versions)
    {
        foreach (var v in versions)
        {
            GetOrLoad(v);
        }

        _standby.Clear();
        _standby.UnionWith(versions);
        ReleaseUnused();
    }

    private void SetShadowCore(string? version)
    {
        var old = _shadow;
        _shadow = version is null ? null : new ShadowRunner(GetOrLoad(version), _options.Telemetry, _health, _logger);
        old?.Dispose();
        ReleaseUnused();
    }

    private void SetRoutesCore(IReadOnlyList<VersionWeight> routes)
    {
        var serving = _serving ?? throw new EdgeException(EdgeErrorCode.InvalidArgument, "No model is active yet; install a package first.");
        if (routes.Any(r => !(r.Weight >= 0) || double.IsInfinity(r.Weight)) || (routes.Count > 0 && routes.Sum(r => r.Weight) <= 0))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "Route weights must be finite, non-negative and not all zero.");
        }

        var loaded = routes.Select(r => (GetOrLoad(r.Version), r.Weight)).ToList();
        Volatile.Write(ref _serving, new ServingSet(serving.Primary, loaded));
        ReleaseUnused();
    }

    private InstallResult ActivateLoaded(LoadedVersion target, GateReport? gate, bool isRollback)
    {
        var from = _serving?.Primary.Version;
        if (_options.CanSwap is { } canSwap && !canSwap(new SwapRequest(from, target.Version, isRollback)))
        {
            _pending = isRollback ? _pending : (target, gate!);
            StoreLog.Deferred(_logger, target.Name, target.Version);
            return new InstallResult(InstallOutcome.Deferred, target.Version, gate);
        }

        var history = new List<string>();
        if (from is not null && from != target.Version)
        {
            history.Add(from);
        }

        history.AddRange((_pointer?.History ?? []).Where(v => v != target.Version && v != from));
        if (isRollback && history.Count > 0 && history[0] == from)
        {
            // Rolling back: the version we leave is no longer "earlier"; the next rollback goes further back.
            history.RemoveAt(0);
        }

        var pointer = new StorePointer { Name = target.Name, Active = target.Version, History = [.. history.Take(_options.KeepVersions - 1)] };
        _layout.WritePointer(pointer);
        _pointer = pointer;

        // The new model is loaded and warm before it becomes visible; the old one is released once its calls end.
        Volatile.Write(ref _serving, new ServingSet(target, []));
        _pending = null;
        StoreLog.Activated(_logger, target.Name, target.Version, from ?? "(none)", isRollback);
        DeviceMetrics.Swapped(isRollback);
        ReleaseUnused();
        Prune();
        return new InstallResult(InstallOutcome.Activated, target.Version, gate);
    }

    private (LoadedVersion Loaded, GateReport Gate) LoadAndGate(VerifiedPackage verified)
    {
        using var memory = MemoryProbe.Start();
        var model = EdgeModel.Load(verified.ModelBytes, _options.ModelOptions);
        try
        {
            var limits = new ModelGate.Limits(_options.MemoryBudgetBytes, _options.LatencyBudgetMilliseconds);
            var gate = ModelGate.Run(verified, model, limits, memory, memory.Growth(), _options.TimeProvider);
            DeviceMetrics.Gated(gate.Passed);
            return (new LoadedVersion(verified.Manifest, model), gate);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private LoadedVersion LoadInstalled(string version)
    {
        var path = _layout.PackagePath(version);
        if (!File.Exists(path))
        {
            throw new EdgeException(EdgeErrorCode.PackageNotFound, $"Version {version} is not installed in this store.");
        }

        var verified = _verifier.VerifyInstalled(path);
        var model = EdgeModel.Load(verified.ModelBytes, _options.ModelOptions);
        var loaded = new LoadedVersion(verified.Manifest, model);
        _options.Telemetry?.Register(verified.Manifest, verified.ReadFile);
        _loaded[version] = loaded;
        return loaded;
    }

    private LoadedVersion GetOrLoad(string version) => _loaded.TryGetValue(version, out var v) ? v : LoadInstalled(version);

    private void ReplaceLoaded(LoadedVersion loaded, VerifiedPackage verified)
    {
        if (_loaded.TryGetValue(loaded.Version, out var old) && !ReferenceEquals(old, loaded))
        {
            old.Model.Dispose();
        }

        _loaded[loaded.Version] = loaded;
        _options.Telemetry?.Register(loaded.Manifest, verified.ReadFile); // the package's verified files: a CTC vocabulary for text evidence
    }

    /// <summary>Disposes loaded versions nothing uses; the previous version stays loaded for instant rollback.</summary>
    private void ReleaseUnused()
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        if (_serving is { } s)
        {
            keep.Add(s.Primary.Version);
            keep.UnionWith(s.Routes.Select(r => r.Version.Version));
        }

        if (_pointer?.History.FirstOrDefault() is { } previous)
        {
            keep.Add(previous);
        }

        if (_shadow is { } shadow)
        {
            keep.Add(shadow.Version);
        }

        if (_pending is { } pending)
        {
            keep.Add(pending.Version.Version);
        }

        keep.UnionWith(_standby);

        foreach (var version in _loaded.Keys.Where(v => !keep.Contains(v)).ToList())
        {
            _loaded[version].Model.Dispose();
            _loaded.Remove(version);
        }
    }

    /// <summary>
    /// Deletes installed versions beyond <see cref="ModelStoreOptions.KeepVersions"/>, oldest install first; the active
    /// version, the rollback history and anything loaded are always kept.
    /// </summary>
    private void Prune()
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        if (_pointer is { } p)
        {
            keep.Add(p.Active);
            keep.UnionWith(p.History);
        }

        keep.UnionWith(_loaded.Keys);
        _layout.Prune(keep, _options.KeepVersions);
    }
}
