namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// The model card's privacy policy for raw inputs. A card without one forbids raw-input recording: devices record raw
/// inputs only for a version whose card says <see cref="RawInputPolicy.Allowed"/> and states a purpose.
/// </summary>
public sealed class ModelPrivacy
{
    /// <summary>Whether devices may record raw inputs.</summary>
    public RawInputPolicy RawInputs { get; init; }

    /// <summary>Why raw inputs are kept (e.g. "retraining"); required when they are allowed.</summary>
    public string? Purpose { get; init; }

    /// <summary>Days the server keeps recorded raw inputs (1-3650), at most its telemetry retention. Null: the telemetry retention.</summary>
    public int? RetentionDays { get; init; }
}
