namespace EdgeDeploy.Runtime.Packages;

/// <summary>Facts about this runtime build that package requirements are checked against.</summary>
internal static class RuntimeInfo
{
    /// <summary>The EdgeRuntime version (semver) packages compare their minimum against.</summary>
    public const string Version = "0.1.0";

    /// <summary>
    /// Highest default-domain opset accepted. ONNX Runtime 1.31 implements newer opsets than this; the bound is the
    /// newest one our tests exercise, raised deliberately when the ORT package is upgraded.
    /// </summary>
    public const int MaxOpset = 23;
}
