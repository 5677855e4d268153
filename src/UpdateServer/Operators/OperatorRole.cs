namespace EdgeDeploy.UpdateServer.Operators;

/// <summary>What an operator may do; each role includes the ones below it.</summary>
internal enum OperatorRole
{
    /// <summary>Read-only: packages, rollouts, devices, monitoring, alerts, the audit log.</summary>
    Viewer = 1,

    /// <summary>Viewer, plus publishing packages, steering rollouts (create, pause, resume, promote, roll back) and alert rules.</summary>
    Deployer = 2,

    /// <summary>Deployer, plus devices (remove, reset, rotate), enrolment tokens and operators.</summary>
    Admin = 3,
}
