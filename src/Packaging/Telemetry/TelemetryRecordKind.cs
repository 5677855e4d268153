namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Kinds of outbox record.</summary>
public enum TelemetryRecordKind
{
    /// <summary>A prediction (<see cref="PredictionRecord"/>).</summary>
    Prediction = 1,

    /// <summary>Ground truth for an earlier prediction (<see cref="GroundTruthRecord"/>).</summary>
    GroundTruth = 2,
}
