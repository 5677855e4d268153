namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Summary of one input tensor: enough to watch for drift and bad data without keeping raw inputs.</summary>
/// <param name="Name">Input name.</param>
/// <param name="Shape">Shape.</param>
/// <param name="Count">Numeric elements summarised.</param>
/// <param name="Missing">NaN elements (floating-point inputs).</param>
/// <param name="Min">Smallest finite value.</param>
/// <param name="Max">Largest finite value.</param>
/// <param name="Mean">Mean of finite values.</param>
public sealed record InputSummary(string Name, long[] Shape, long Count, long Missing, double Min, double Max, double Mean);
