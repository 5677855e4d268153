using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Evaluation;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>
/// Online mAP: not a sum over predictions, so computed at query time from the newest labelled predictions with detection
/// evidence and truth boxes in the window (at most <see cref="MaxImages"/>, read by
/// <see cref="ITelemetryStore.ScoredEvidenceAsync"/>), with the device gate's own <see cref="DetectionMetrics"/>.
/// </summary>
/// <param name="MeanAveragePrecision">mAP at the version's IoU threshold; NaN without truth boxes.</param>
/// <param name="Images">Labelled predictions (images) it rests on.</param>
/// <param name="IouThreshold">The IoU a detection needs to match a truth box.</param>
internal sealed record DetectionEvidence(double MeanAveragePrecision, long Images, double IouThreshold)
{
    /// <summary>Most labelled predictions one mAP figure reads (the newest in its window).</summary>
    public const int MaxImages = 10_000;

    /// <summary>mAP over the rows whose truth holds boxes; a prediction without detection evidence detected nothing.</summary>
    public static DetectionEvidence Score(IReadOnlyList<(byte[] Evidence, byte[] Truth)> rows, double iouThreshold)
    {
        var detections = new List<List<DetectionMetrics.Box>>(rows.Count);
        var truths = new List<List<DetectionMetrics.Box>>(rows.Count);
        foreach (var (evidence, truth) in rows)
        {
            try
            {
                var t = TelemetryCodec.DecodeTensors(truth);
                if (!t.TryGetValue(TelemetryEvidence.Boxes, out var boxes) || !t.TryGetValue(TelemetryEvidence.Classes, out var classes))
                {
                    continue;
                }

                var e = TelemetryCodec.DecodeTensors(evidence);
                var found = e.TryGetValue(TelemetryEvidence.Boxes, out var b) && e.TryGetValue(TelemetryEvidence.Scores, out var s) && e.TryGetValue(TelemetryEvidence.Classes, out var c)
                    ? DetectionMetrics.ReadDetections(b, s, c)
                    : [];
                var expected = DetectionMetrics.ReadDetections(boxes, null, classes);
                detections.Add(found);
                truths.Add(expected);
            }
            catch (EdgeException)
            {
                // Checked on ingest; a row that still cannot be read is left out rather than failing the figure.
            }
        }

        return new DetectionEvidence(truths.Count == 0 ? double.NaN : DetectionMetrics.MeanAveragePrecision(detections, truths, iouThreshold), truths.Count, iouThreshold);
    }
}
