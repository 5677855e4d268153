using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Store;

/// <summary>Options for <see cref="ModelStore"/>; defaults stated on each property.</summary>
public sealed class ModelStoreOptions
{
    /// <summary>The store directory (created if missing). Required.</summary>
    public required string Directory { get; init; }

    /// <summary>The device trust store packages are verified against. Required.</summary>
    public required TrustStore Trust { get; init; }

    /// <summary>Installed versions kept on disk for rollback, the active one included. Default 3.</summary>
    public int KeepVersions { get; init; } = 3;

    /// <summary>Largest memory a model may need (manifest figure or measured load growth); 0 = no limit. Default 0.</summary>
    public long MemoryBudgetBytes { get; init; }

    /// <summary>How models are loaded. Default <see cref="EdgeModelOptions.Default"/>.</summary>
    public EdgeModelOptions ModelOptions { get; init; } = EdgeModelOptions.Default;

    /// <summary>Verification limits and clock. Default <see cref="PackageVerifierOptions"/> defaults.</summary>
    public PackageVerifierOptions VerifierOptions { get; init; } = new();

    /// <summary>What this device offers packages (execution providers). Default <see cref="DeviceCapabilities.Current"/>.</summary>
    public DeviceCapabilities Capabilities { get; init; } = DeviceCapabilities.Current;

    /// <summary>
    /// Asked before every swap of the serving model; return false to defer it (e.g. mid-transaction), then call
    /// <see cref="ModelStore.TryActivatePending"/> when it is safe. Default: always swap.
    /// </summary>
    public Func<SwapRequest, bool>? CanSwap { get; init; }

    /// <summary>Where predictions, shadow comparisons and ground truth are recorded. Default none.</summary>
    public TelemetryRecorder? Telemetry { get; init; }

    /// <summary>
    /// Recent predictions remembered (with their outputs) so late ground truth can be scored per version for health
    /// reports; lower it for models with large outputs. Default 4,096.
    /// </summary>
    public int GroundTruthWindow { get; init; } = 4096;

    /// <summary>Clock for gate timings. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logs installs, rejections, swaps and rollbacks. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>A pending change of the serving model, offered to <see cref="ModelStoreOptions.CanSwap"/>.</summary>
/// <param name="FromVersion">The version serving now, or null.</param>
/// <param name="ToVersion">The version that would serve.</param>
/// <param name="IsRollback">True for <see cref="ModelStore.Rollback"/>.</param>
public sealed record SwapRequest(string? FromVersion, string ToVersion, bool IsRollback);

/// <summary>Outcome of <see cref="ModelStore.Install(string, ExpectedPackage?)"/>.</summary>
public enum InstallOutcome
{
    /// <summary>Verified, gated and now serving.</summary>
    Activated = 0,

    /// <summary>Verified and gated; the host deferred the swap (see <see cref="ModelStoreOptions.CanSwap"/>).</summary>
    Deferred = 1,

    /// <summary>Verified but failed the gate; the active model keeps serving.</summary>
    Rejected = 2,

    /// <summary>This exact version is already the active one.</summary>
    AlreadyActive = 3,

    /// <summary>Verified, gated and installed on standby (not serving); see <see cref="ModelStore.Activate"/>.</summary>
    Installed = 4,
}

/// <summary>What an install did.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Version">The package's version.</param>
/// <param name="Gate">The gate report (null when the version was already active).</param>
public sealed record InstallResult(InstallOutcome Outcome, string Version, GateReport? Gate);

/// <summary>A prediction and where it came from.</summary>
/// <param name="PredictionId">Id to attach ground truth to later (<see cref="ModelStore.RecordGroundTruth"/>).</param>
/// <param name="Version">The model version that served it.</param>
/// <param name="Prediction">The outputs.</param>
public sealed record ServedPrediction(Guid PredictionId, string Version, Prediction Prediction);

/// <summary>A version and its share of traffic.</summary>
/// <param name="Version">An installed version.</param>
/// <param name="Weight">Relative weight (non-negative).</param>
public sealed record VersionWeight(string Version, double Weight);

/// <summary>How a shadow candidate compares with the serving model on the same inputs.</summary>
/// <param name="ShadowVersion">The candidate.</param>
/// <param name="Compared">Predictions compared.</param>
/// <param name="ExactMatchRate">Share where every output was bit-identical.</param>
/// <param name="MeanAbsoluteDifference">Mean |serving - shadow| over all floating-point output elements.</param>
/// <param name="LabelAgreementRate">Share where the label (the confidence metric's output) agreed.</param>
/// <param name="Failures">Shadow runs that threw.</param>
public sealed record ShadowStatistics(string ShadowVersion, long Compared, double ExactMatchRate, double MeanAbsoluteDifference, double LabelAgreementRate, long Failures);
