namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>Where a rollout is in its life. Stored and sent by its wire name (<see cref="RolloutStates.Name"/>).</summary>
public enum RolloutState
{
    /// <summary>Devices follow it and the controller evaluates it ("active").</summary>
    Active,

    /// <summary>Devices keep what they have; the controller waits for an operator ("paused").</summary>
    Paused,

    /// <summary>Every stage passed, or an operator promoted it to the end ("completed").</summary>
    Completed,

    /// <summary>Devices went back to their baseline ("rolled_back").</summary>
    RolledBack,
}
