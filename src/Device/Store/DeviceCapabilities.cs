using EdgeDeploy.Runtime.Inference;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// What this device's hardware offers a package: the execution providers of the loaded ONNX Runtime build. Checked by
/// the store after <see cref="PackageVerifier"/> (which stays free of ONNX Runtime so the server can verify too).
/// </summary>
public sealed class DeviceCapabilities
{
    /// <summary>Creates capabilities from a list of ONNX Runtime execution provider names.</summary>
    public DeviceCapabilities(IReadOnlyList<string> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        Providers = providers;
    }

    /// <summary>What the loaded ONNX Runtime build reports.</summary>
    public static DeviceCapabilities Current => s_current.Value;

    private static readonly Lazy<DeviceCapabilities> s_current = new(() => new DeviceCapabilities(SessionFactory.LoadedProviders()));

    /// <summary>Execution providers this device offers (ONNX Runtime names).</summary>
    public IReadOnlyList<string> Providers { get; }

    /// <summary>Throws <see cref="EdgeErrorCode.RequirementsNotMet"/> when the package needs what this device lacks.</summary>
    public void Check(PackageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var needsCuda = manifest.Requirements.ExecutionProvider.Equals("cuda", StringComparison.OrdinalIgnoreCase);
        if (needsCuda && !Providers.Contains(SessionFactory.CudaProviderName))
        {
            throw new EdgeException(EdgeErrorCode.RequirementsNotMet, $"Package {manifest.Name} {manifest.Version} needs the CUDA execution provider; this device offers {string.Join(", ", Providers)}.");
        }
    }
}
