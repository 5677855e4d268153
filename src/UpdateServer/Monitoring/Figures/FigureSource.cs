namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>Where a figure's evidence comes from; <see cref="FigureReader"/> fetches one <see cref="FigureInput"/> per source.</summary>
internal enum FigureSource
{
    /// <summary>Device health reports summed over devices (<see cref="HealthTotals"/>): what rollout gates judge.</summary>
    Health,

    /// <summary>Per-prediction telemetry summarised over a window (<see cref="VersionWindowSummary"/>).</summary>
    Telemetry,

    /// <summary>Drift counts of one feature or output scored against the package's reference (<see cref="EdgeDeploy.Runtime.Telemetry.DriftScore"/>).</summary>
    Drift,

    /// <summary>Labelled telemetry outcomes of one model-card slice (<see cref="SliceOutcomes"/>).</summary>
    Slice,

    /// <summary>
    /// Labelled telemetry counted by (predicted class, true class) (<see cref="ConfusionCounts"/>): per-class recall and
    /// precision, of the version or, when the rule names one, of a model-card slice.
    /// </summary>
    Classes,

    /// <summary>The model card's fairness groups against its reference group (<see cref="FairnessEvidence"/>), optionally one group.</summary>
    Fairness,

    /// <summary>
    /// Labelled telemetry scored through the devices' evidence (<see cref="EvidenceFigures"/>): top-k ranks and CER/WER
    /// edits, summed like the other roll-ups; of the version or, when the rule names one, of a model-card slice.
    /// </summary>
    Evidence,

    /// <summary>Detections against truth boxes of the newest labelled predictions in the window (<see cref="DetectionEvidence"/>): mAP.</summary>
    Detections,
}
