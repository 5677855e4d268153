namespace EdgeDeploy.Runtime.Store;

/// <summary>A gate result kept beside an installed version or a rejected one.</summary>
internal sealed class GateRecord
{
    public required string Version { get; init; }

    public required bool Passed { get; init; }

    public string? Reason { get; init; }

    public double MetricValue { get; init; }

    public DateTimeOffset At { get; init; }
}
