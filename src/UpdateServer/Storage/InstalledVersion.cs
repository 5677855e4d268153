namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A model version a device reports as installed.</summary>
public sealed record InstalledVersion(string Model, string Version);
