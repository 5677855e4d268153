using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>A device trust directory trusting the committed sample roots (models/trust), as a device shipped with them would.</summary>
internal static class SampleTrust
{
    public static TrustStore Create(string directory)
    {
        var trust = TrustStore.Initialize(directory, File.ReadAllBytes(Path.Combine(Repo.Models, "trust", "root-v1.json")));
        trust.UpdateRoot(File.ReadAllBytes(Path.Combine(Repo.Models, "trust", "root.json")));
        return trust;
    }
}
