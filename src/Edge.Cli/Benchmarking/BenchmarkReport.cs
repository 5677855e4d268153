using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Cli.Benchmarking;

internal sealed record BenchmarkReport(string Model, string Provider, int Threads, IReadOnlyList<VariantResult> Variants, TelemetryStatistics? Telemetry)
{
    public VariantResult Raw => Variants[0];
}
