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

    /// <summary>
    /// Largest memory a model may need, held against the manifest's figure, the measured growth on load and the measured
    /// peak while the gate runs the end-to-end and confidence sets (ONNX Runtime's arena and intermediates included);
    /// 0 = no limit. Default 0.
    /// </summary>
    public long MemoryBudgetBytes { get; init; }

    /// <summary>
    /// This device's own p95 latency limit for one prediction, in milliseconds: it caps every latency budget the manifest
    /// states and, when the manifest states none, the end-to-end inputs are timed against it; 0 = none. Default 0.
    /// </summary>
    public double LatencyBudgetMilliseconds { get; init; }

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

    /// <summary>Checks every setting; <see cref="ModelStore.Open"/> calls it.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> naming the first invalid setting.</exception>
    public void Validate()
    {
        // Built with object initializers, so a required property can still be null or empty.
        Require(!string.IsNullOrEmpty(Directory), "Directory is required.");
        Require(Trust is not null, "Trust is required.");
        Require(KeepVersions >= 1, "KeepVersions must be at least 1.");
        Require(MemoryBudgetBytes >= 0, $"MemoryBudgetBytes must be non-negative (0 = no limit; it is {MemoryBudgetBytes}).");
        Require(LatencyBudgetMilliseconds >= 0 && double.IsFinite(LatencyBudgetMilliseconds), $"LatencyBudgetMilliseconds must be finite and non-negative (0 = none; it is {LatencyBudgetMilliseconds}).");
        Require(GroundTruthWindow >= 0, $"GroundTruthWindow must be non-negative (it is {GroundTruthWindow}).");
        Require(ModelOptions is not null && VerifierOptions is not null && Capabilities is not null && TimeProvider is not null, "ModelOptions, VerifierOptions, Capabilities and TimeProvider must not be null.");
    }

    private static void Require(bool valid, string message)
    {
        if (!valid)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, message);
        }
    }
}
