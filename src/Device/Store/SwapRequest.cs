namespace EdgeDeploy.Runtime.Store;

/// <summary>A pending change of the serving model, offered to <see cref="ModelStoreOptions.CanSwap"/>.</summary>
/// <param name="FromVersion">The version serving now, or null.</param>
/// <param name="ToVersion">The version that would serve.</param>
/// <param name="IsRollback">True for <see cref="ModelStore.Rollback"/>.</param>
public sealed record SwapRequest(string? FromVersion, string ToVersion, bool IsRollback);
