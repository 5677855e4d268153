namespace EdgeDeploy.Cli.Benchmarking;

/// <summary>Latency and allocation figures for one way of calling the model.</summary>
internal sealed record VariantResult(string Name, double P50Micros, double P99Micros, double MeanMicros, double BytesPerPredict, int Iterations);
