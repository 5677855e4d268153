namespace EdgeDeploy.Runtime.Packages;

/// <summary>The audit trail.</summary>
public sealed class AuditRecord
{
    /// <summary>Who built the package.</summary>
    public required string BuiltBy { get; init; }

    /// <summary>When it was built.</summary>
    public required DateTimeOffset BuiltAt { get; init; }

    /// <summary>Who approved it for deployment.</summary>
    public string? ApprovedBy { get; init; }

    /// <summary>When it was approved.</summary>
    public DateTimeOffset? ApprovedAt { get; init; }

    /// <summary>On what grounds.</summary>
    public string? ApprovalGrounds { get; init; }

    /// <summary>Privacy reviewer.</summary>
    public string? PrivacyReviewer { get; init; }

    /// <summary>Security reviewer.</summary>
    public string? SecurityReviewer { get; init; }
}
