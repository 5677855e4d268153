using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Options for <see cref="TelemetryRecorder"/>; defaults stated on each property.</summary>
public sealed class TelemetryOptions
{
    /// <summary>SQLite file of the outbox. Required.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>Most records kept in the outbox; older ones are dropped (and counted) beyond it. Default 100,000.</summary>
    public long MaxRecords { get; init; } = 100_000;

    /// <summary>Share of predictions recorded, 0..1. Default 1 (all).</summary>
    public double SampleRate { get; init; } = 1.0;

    /// <summary>
    /// Share of recorded predictions whose raw inputs are recorded too (for retraining), 0..1. Default 0: off. Applies only
    /// to versions whose model card allows it (<c>privacy.rawInputs: Allowed</c> with a purpose); a card that forbids it, or
    /// states no privacy policy, gets summaries only whatever this says. Shadow runs never record raw inputs.
    /// </summary>
    public double RawInputSampleRate { get; init; }

    /// <summary>Largest input (elements over all tensors) whose raw values are recorded; bigger ones get summaries only. Default 1,024.</summary>
    public int RawInputMaxElements { get; init; } = 1024;

    /// <summary>Records buffered in memory before the writer drops new ones (and counts them). Default 16,384.</summary>
    public int QueueCapacity { get; init; } = 16_384;

    /// <summary>Longest a record waits in memory before it is committed. Default 100 ms.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Clock for record timestamps. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logs writer failures. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Checks every setting; <see cref="TelemetryRecorder.Open"/> calls it.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> naming the first invalid setting.</exception>
    public void Validate()
    {
        // Built with object initializers, so a required property can still be null or empty.
        Require(!string.IsNullOrEmpty(DatabasePath), "DatabasePath is required.");
        Require(MaxRecords >= 1, $"MaxRecords must be at least 1 (it is {MaxRecords}).");
        Require(QueueCapacity >= 1, $"QueueCapacity must be at least 1 (it is {QueueCapacity}).");
        Require(SampleRate is >= 0 and <= 1, $"SampleRate must be within 0..1 (it is {SampleRate}).");
        Require(RawInputSampleRate is >= 0 and <= 1, $"RawInputSampleRate must be within 0..1 (it is {RawInputSampleRate}).");
        Require(RawInputMaxElements is >= 1 and <= 1 << 20, $"RawInputMaxElements must be within 1..1048576 (it is {RawInputMaxElements}).");
        Require(FlushInterval > TimeSpan.Zero, $"FlushInterval must be positive (it is {FlushInterval}).");
        Require(TimeProvider is not null, "TimeProvider must not be null.");
    }

    private static void Require(bool valid, string message)
    {
        if (!valid)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, message);
        }
    }
}
