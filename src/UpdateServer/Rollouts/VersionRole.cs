namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>How a device holds a version a rollout assigns it (the AssignedVersion's weight, shadow and standby fields).</summary>
internal enum VersionRole
{
    /// <summary>Serves all traffic (weight 1).</summary>
    Primary,

    /// <summary>Serves a share of traffic (weight as given; bandit arms).</summary>
    Route,

    /// <summary>Runs beside the serving version; its answers are compared, never served (weight 0).</summary>
    Shadow,

    /// <summary>Installed and ready, serving nothing (weight 0; blue/green).</summary>
    Standby,
}
