namespace EdgeDeploy.Runtime.Evaluation;

/// <summary>Mean average precision of detections at an IoU threshold (all-point interpolated AP, as in Pascal VOC 2010+).</summary>
public static class DetectionMetrics
{
    /// <summary>One box: corners, score (1 for truth) and class.</summary>
    /// <param name="X1">Left.</param>
    /// <param name="Y1">Top.</param>
    /// <param name="X2">Right.</param>
    /// <param name="Y2">Bottom.</param>
    /// <param name="Score">Detection score; 1 for truth boxes.</param>
    /// <param name="Class">Class id.</param>
    public readonly record struct Box(double X1, double Y1, double X2, double Y2, double Score, int Class);

    /// <summary>Reads <c>[N, 4]</c> or <c>[1, N, 4]</c> boxes with <c>[N]</c> (or <c>[1, N]</c>) scores and classes.</summary>
    public static List<Box> ReadDetections(EdgeTensor boxes, EdgeTensor? scores, EdgeTensor classes)
    {
        var b = Numbers(boxes);
        var n = b.Length / 4;
        if (b.Length % 4 != 0 || boxes.Shape.Length == 0 || boxes.Shape[^1] != 4)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Detection boxes must be [N, 4] (x1, y1, x2, y2), not {boxes}.");
        }

        var s = scores is null ? null : Numbers(scores);
        var c = Numbers(classes);
        if (c.Length != n || (s is not null && s.Length != n))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Detections disagree in count: {n} boxes, {s?.Length ?? n} scores, {c.Length} classes.");
        }

        var list = new List<Box>(n);
        for (var i = 0; i < n; i++)
        {
            list.Add(new Box(b[4 * i], b[(4 * i) + 1], b[(4 * i) + 2], b[(4 * i) + 3], s?[i] ?? 1, (int)c[i]));
        }

        return list;
    }

    /// <summary>
    /// mAP over the classes that have truth boxes: per class, detections of every image ranked by score; a detection is
    /// a true positive when it overlaps a not-yet-matched truth box of its class and image with IoU ≥ threshold;
    /// AP is the area under the precision/recall curve with precision made monotone (all-point interpolation).
    /// </summary>
    public static double MeanAveragePrecision(IReadOnlyList<List<Box>> detections, IReadOnlyList<List<Box>> truths, double iouThreshold)
    {
        var classes = truths.SelectMany(t => t).Select(t => t.Class).Distinct().Order().ToList();
        if (classes.Count == 0)
        {
            return double.NaN;
        }

        return classes.Average(c => AveragePrecision(c, detections, truths, iouThreshold));
    }

    /// <summary>Intersection over union of two boxes; 0 when they do not overlap.</summary>
    public static double Iou(Box a, Box b)
    {
        var w = Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1);
        var h = Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var intersection = w * h;
        var union = ((a.X2 - a.X1) * (a.Y2 - a.Y1)) + ((b.X2 - b.X1) * (b.Y2 - b.Y1)) - intersection;
        return union <= 0 ? 0 : intersection / union;
    }

    private static double AveragePrecision(int c, IReadOnlyList<List<Box>> detections, IReadOnlyList<List<Box>> truths, double threshold)
    {
        var total = truths.Sum(t => t.Count(b => b.Class == c));
        var ranked = Enumerable.Range(0, detections.Count)
            .SelectMany(image => detections[image].Where(d => d.Class == c).Select(d => (Image: image, Box: d)))
            .OrderByDescending(d => d.Box.Score)
            .ToList();
        var matched = truths.Select(t => new bool[t.Count]).ToList();
        var precision = new double[ranked.Count];
        var recall = new double[ranked.Count];
        var tp = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            var (image, box) = ranked[i];
            var best = -1;
            var bestIou = threshold;
            var truth = truths[image];
            for (var j = 0; j < truth.Count; j++)
            {
                var iou = truth[j].Class == c ? Iou(box, truth[j]) : 0;
                if (iou >= bestIou && !matched[image][j])
                {
                    best = j;
                    bestIou = iou;
                }
            }

            if (best >= 0)
            {
                matched[image][best] = true;
                tp++;
            }

            precision[i] = tp / (double)(i + 1);
            recall[i] = tp / (double)total;
        }

        // Area under the monotone (right-to-left max) precision envelope over recall steps.
        double ap = 0, previousRecall = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            var envelope = precision.Skip(i).Max();
            ap += (recall[i] - previousRecall) * envelope;
            previousRecall = recall[i];
        }

        return ap;
    }

    private static double[] Numbers(EdgeTensor t) => t.ElementType switch
    {
        EdgeElementType.Float => [.. t.AsSpan<float>().ToArray().Select(v => (double)v)],
        EdgeElementType.Double => t.ToArray<double>(),
        EdgeElementType.Int64 => [.. t.AsSpan<long>().ToArray().Select(v => (double)v)],
        EdgeElementType.Int32 => [.. t.AsSpan<int>().ToArray().Select(v => (double)v)],
        _ => throw new EdgeException(EdgeErrorCode.InvalidArgument, $"A detection output cannot be {t.ElementType}."),
    };
}
