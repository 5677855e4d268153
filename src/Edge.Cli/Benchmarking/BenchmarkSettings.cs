using EdgeDeploy.Runtime;

namespace EdgeDeploy.Cli.Benchmarking;

/// <summary>What <c>edge bench</c> measures: the model, its inputs (real data or shapes for random data) and the provider.</summary>
internal sealed record BenchmarkSettings(
    string ModelPath,
    int Iterations,
    int Warmup,
    int Threads,
    ExecutionProviderKind Provider,
    IReadOnlyDictionary<string, long[]> Shapes,
    string? InputJson);
