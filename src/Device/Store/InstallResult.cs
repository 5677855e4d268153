namespace EdgeDeploy.Runtime.Store;

/// <summary>What an install did.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Version">The package's version.</param>
/// <param name="Gate">The gate report (null when the version was already active).</param>
public sealed record InstallResult(InstallOutcome Outcome, string Version, GateReport? Gate);
