using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Store;

/// <summary>Outcome of <see cref="ModelStore.Install(string, ExpectedPackage?)"/>.</summary>
public enum InstallOutcome
{
    /// <summary>Verified, gated and now serving.</summary>
    Activated = 0,

    /// <summary>Verified and gated; the host deferred the swap (see <see cref="ModelStoreOptions.CanSwap"/>).</summary>
    Deferred = 1,

    /// <summary>Verified but failed the gate; the active model keeps serving.</summary>
    Rejected = 2,

    /// <summary>This exact version is already the active one.</summary>
    AlreadyActive = 3,

    /// <summary>Verified, gated and installed on standby (not serving); see <see cref="ModelStore.Activate"/>.</summary>
    Installed = 4,
}
