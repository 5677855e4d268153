namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>What trying to use an enrolment token for one registration found.</summary>
public enum EnrollmentUse
{
    /// <summary>Valid: one use was counted.</summary>
    Accepted,

    /// <summary>No token with that hash.</summary>
    Unknown,

    /// <summary>Revoked by an admin.</summary>
    Revoked,

    /// <summary>Past its expiry.</summary>
    Expired,

    /// <summary>Every allowed use is spent.</summary>
    Exhausted,

    /// <summary>Bound to another device id.</summary>
    OtherDevice,
}
