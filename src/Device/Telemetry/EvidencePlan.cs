using EdgeDeploy.Runtime.Evaluation;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// What a registered version's predictions keep so the server can compute its gate metrics online
/// (<see cref="PredictionRecord.Evidence"/>): the top classes for a top-k metric, the greedy CTC text for CER/WER, the
/// highest-scored detections for mAP. Built once per version from its manifest's gate metrics; null when it declares none.
/// </summary>
internal sealed class EvidencePlan
{
    private readonly string? _topOutput;
    private readonly int _topK;
    private readonly string? _textOutput;
    private readonly string[]? _vocabulary;
    private readonly int _blank;
    private readonly DetectionLayout? _detection;

    private EvidencePlan(string? topOutput, int topK, string? textOutput, string[]? vocabulary, int blank, DetectionLayout? detection)
    {
        (_topOutput, _topK, _textOutput, _vocabulary, _blank, _detection) = (topOutput, topK, textOutput, vocabulary, blank, detection);
    }

    /// <summary>
    /// The plan for <paramref name="manifest"/>, or null when none of its gate metrics needs evidence. Top-k: the largest
    /// K (capped at <see cref="TelemetryEvidence.MaxTopClasses"/>) and that metric's output; CER/WER and mAP: the first
    /// such metric's output, vocabulary and layout. Text needs the vocabulary file: without <paramref name="readFile"/>
    /// (or with a file that cannot be read) no text is recorded.
    /// </summary>
    public static EvidencePlan? Create(PackageManifest manifest, Func<string, byte[]>? readFile)
    {
        var metrics = manifest.Gate?.Metrics;
        if (metrics is null || metrics.Count == 0)
        {
            return null;
        }

        var top = metrics.Where(m => m.Kind == GateMetricKind.TopKAccuracy && !string.IsNullOrEmpty(m.Output)).MaxBy(m => m.K ?? 1);
        var sequence = metrics.FirstOrDefault(m => m.Kind is GateMetricKind.CharacterErrorRate or GateMetricKind.WordErrorRate && m.Ctc is not null && !string.IsNullOrEmpty(m.Output));
        var detection = metrics.FirstOrDefault(m => m.Kind == GateMetricKind.MeanAveragePrecision && m.Detection is not null)?.Detection;
        string[]? vocabulary = null;
        if (sequence is not null && readFile is not null)
        {
            vocabulary = SequenceMetrics.ReadVocabulary(readFile(sequence.Ctc!.Vocabulary));
        }

        if (top is null && vocabulary is null && detection is null)
        {
            return null;
        }

        return new EvidencePlan(
            top?.Output,
            Math.Clamp(top?.K ?? 1, 1, TelemetryEvidence.MaxTopClasses),
            vocabulary is null ? null : sequence!.Output,
            vocabulary,
            sequence?.Ctc?.Blank ?? 0,
            detection);
    }

    /// <summary>The evidence of one prediction; throws <see cref="EdgeException"/> when an output does not fit the declared metric.</summary>
    public Dictionary<string, EdgeTensor> Compute(Prediction prediction)
    {
        var evidence = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
        if (_topOutput is not null)
        {
            var scores = ScoreOutputs.Of(prediction, _topOutput);
            if (scores.Rank == 0 || scores.ElementCount != scores.Shape[^1])
            {
                throw new EdgeException(EdgeErrorCode.InvalidOutput, $"Top classes need one row of class scores in output '{_topOutput}', not {scores}.") { TensorName = _topOutput };
            }

            var top = ClassificationMetrics.TopClasses(ClassificationMetrics.Scores(scores), Math.Min(_topK, scores.ElementCount));
            evidence[TelemetryEvidence.TopClasses] = EdgeTensor.Create(top, [top.Length]);
        }

        if (_textOutput is not null)
        {
            var text = SequenceMetrics.GreedyCtc(prediction[_textOutput], _vocabulary!, _blank);
            evidence[TelemetryEvidence.Text] = EdgeTensor.Create([Truncate(text)], [1]);
        }

        if (_detection is { } layout)
        {
            var boxes = DetectionMetrics.ReadDetections(prediction[layout.Boxes], prediction[layout.Scores], prediction[layout.Classes]);
            var kept = boxes.Select((b, i) => (Box: b, Index: i))
                .OrderByDescending(d => d.Box.Score).ThenBy(d => d.Index)
                .Take(TelemetryEvidence.MaxDetections)
                .Select(d => d.Box)
                .ToList();
            var b = new float[kept.Count * 4];
            var s = new float[kept.Count];
            var c = new long[kept.Count];
            for (var i = 0; i < kept.Count; i++)
            {
                (b[4 * i], b[(4 * i) + 1], b[(4 * i) + 2], b[(4 * i) + 3]) = ((float)kept[i].X1, (float)kept[i].Y1, (float)kept[i].X2, (float)kept[i].Y2);
                s[i] = (float)kept[i].Score;
                c[i] = kept[i].Class;
            }

            evidence[TelemetryEvidence.Boxes] = EdgeTensor.Create(b, [kept.Count, 4]);
            evidence[TelemetryEvidence.Scores] = EdgeTensor.Create(s, [kept.Count]);
            evidence[TelemetryEvidence.Classes] = EdgeTensor.Create(c, [kept.Count]);
        }

        return evidence;
    }

    /// <summary>At most <see cref="TelemetryEvidence.MaxTextLength"/> UTF-16 code units, never splitting a surrogate pair.</summary>
    internal static string Truncate(string text)
    {
        if (text.Length <= TelemetryEvidence.MaxTextLength)
        {
            return text;
        }

        var length = TelemetryEvidence.MaxTextLength;
        if (char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }
}
