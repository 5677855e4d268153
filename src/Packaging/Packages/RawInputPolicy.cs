namespace EdgeDeploy.Runtime.Packages;

/// <summary>Whether devices may record a model's raw inputs (see <see cref="ModelPrivacy"/>).</summary>
public enum RawInputPolicy
{
    /// <summary>Never: devices record summaries only, whatever their telemetry options say.</summary>
    Forbidden = 0,

    /// <summary>Devices whose telemetry options enable raw-input sampling record a share of inputs for retraining.</summary>
    Allowed = 1,
}
