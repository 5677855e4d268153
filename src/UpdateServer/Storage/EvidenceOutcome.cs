using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Evaluation;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// What one labelled prediction's evidence (<see cref="PredictionRecord.Evidence"/>) scores against its label or
/// structured truth (<see cref="GroundTruthRecord.Truth"/>): the rank of the true class among the device's top classes
/// (-1: not among them) and the character and word edits of the decoded text against the true text, with the truth's
/// lengths. Both telemetry stores compute it the same way when a label meets its prediction (roll-ups) and when they read
/// partial hours raw, so the two paths agree. Evidence was checked on ingest; anything unreadable scores nothing.
/// </summary>
internal readonly record struct EvidenceOutcome(int? TopRank, (int Edits, int Length)? Characters, (int Edits, int Length)? Words)
{
    /// <summary>Nothing to score: no evidence, or no label or truth it can be scored against.</summary>
    public static EvidenceOutcome None => default;

    /// <summary>Scores a prediction's encoded evidence against its label (NaN: none) and encoded structured truth (null: none).</summary>
    public static EvidenceOutcome Of(byte[]? evidence, double label, byte[]? truth)
    {
        if (evidence is null || (truth is null && !ConfusionCounts.IsClass(label)))
        {
            return None;
        }

        try
        {
            var e = TelemetryCodec.DecodeTensors(evidence);
            int? rank = null;
            if (ConfusionCounts.IsClass(label) && e.TryGetValue(TelemetryEvidence.TopClasses, out var top) && top.ElementType == EdgeElementType.Int64)
            {
                rank = top.AsSpan<long>().IndexOf((long)label);
            }

            if (truth is null || Text(e) is not { } decoded || Text(TelemetryCodec.DecodeTensors(truth)) is not { } expected)
            {
                return new EvidenceOutcome(rank, null, null);
            }

            return new EvidenceOutcome(rank, SequenceMetrics.CharacterEdits(decoded, expected), SequenceMetrics.WordEdits(decoded, expected));
        }
        catch (Exception ex) when (ex is EdgeException or MessagePack.MessagePackSerializationException or InvalidOperationException or ArgumentException)
        {
            return None;
        }
    }

    private static string? Text(IReadOnlyDictionary<string, EdgeTensor> tensors) =>
        tensors.TryGetValue(TelemetryEvidence.Text, out var t) && t.ElementType == EdgeElementType.String && t.ElementCount == 1 ? t.AsSpan<string>()[0] : null;
}
