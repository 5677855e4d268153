namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Where a detector puts its detections, per row: boxes <c>[N, 4]</c> (or <c>[1, N, 4]</c>) as <c>x1, y1, x2, y2</c>,
/// scores <c>[N]</c> and integer or float class ids <c>[N]</c>. Truth comes from each confidence case's
/// <c>boxes</c> <c>[M, 4]</c> and <c>classes</c> <c>[M]</c> tensors.
/// </summary>
public sealed class DetectionLayout
{
    /// <summary>Output holding the boxes.</summary>
    public required string Boxes { get; init; }

    /// <summary>Output holding each box's score.</summary>
    public required string Scores { get; init; }

    /// <summary>Output holding each box's class id.</summary>
    public required string Classes { get; init; }

    /// <summary>Intersection over union a detection needs to match a truth box. Default 0.5.</summary>
    public double IouThreshold { get; init; } = 0.5;
}
