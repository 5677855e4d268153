namespace EdgeDeploy.Runtime.Agent;

/// <summary>
/// How far one package download has got: <paramref name="BytesDone"/> of <paramref name="BytesTotal"/> on disk (bytes
/// kept from an interrupted cycle included, so a resumed download starts where it stopped).
/// </summary>
/// <param name="Model">The model the package is for.</param>
/// <param name="Version">The version being downloaded.</param>
/// <param name="BytesDone">Bytes written so far.</param>
/// <param name="BytesTotal">The package's size.</param>
public readonly record struct DownloadProgress(string Model, string Version, long BytesDone, long BytesTotal);
