using System.Text.RegularExpressions;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Rollouts;

namespace EdgeDeploy.Tests.UpdateServer.Rollouts;

public sealed partial class RolloutStrategiesTests
{
    [Fact]
    public async Task Find_EveryProtoStrategy_HasOneClassOfThatKind()
    {
        await using var server = await UpdateServerHost.StartAsync();
        var strategies = server.Service<RolloutStrategies>();

        foreach (var kind in Enum.GetValues<RolloutStrategy>().Where(k => k != RolloutStrategy.Unspecified))
        {
            Assert.Equal(kind, strategies.Find(kind)?.Kind);
        }

        Assert.Null(strategies.Find(RolloutStrategy.Unspecified));
        Assert.Equal("strategy must be one of ALL_AT_ONCE, CANARY, STAGED, BLUE_GREEN, SHADOW, BANDIT.", strategies.Known);
    }

    [Fact]
    public void Sources_OutsideTheStrategyClasses_NameNoStrategyValue()
    {
        // A strategy's behaviour lives in its class (src/UpdateServer/Rollouts/Strategies); nothing else may branch on a value.
        var offenders = new[] { "src/UpdateServer", "src/Edge.Cli", "src/Device" }
            .Select(d => Path.Combine(Repo.Root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains(Path.Combine("Rollouts", "Strategies"), StringComparison.Ordinal))
            .SelectMany(f => StrategyValue().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(Repo.Root, f)}: {m.Value}"))
            .Where(hit => !hit.EndsWith("RolloutStrategy.Unspecified", StringComparison.Ordinal))
            .ToList();

        Assert.Empty(offenders);
    }

    [GeneratedRegex(@"\bRolloutStrategy\.(?!Descriptor\b)[A-Z]\w*")]
    private static partial Regex StrategyValue();
}
