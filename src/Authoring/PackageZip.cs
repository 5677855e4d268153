using System.IO.Compression;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Writes package archives; fixed entry timestamps keep the bytes a function of the content.</summary>
internal static class PackageZip
{
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static byte[] Write(byte[] manifest, SignatureFile signatures, IEnumerable<(string Path, byte[] Bytes)> files)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, PackageArchive.ManifestPath, manifest);
            Add(zip, PackageArchive.SignaturesPath, PackageJsonContext.Serialize(signatures, PackageJsonContext.Default.SignatureFile));
            foreach (var (path, bytes) in files)
            {
                Add(zip, path, bytes);
            }
        }

        return output.ToArray();
    }

    private static void Add(ZipArchive zip, string path, byte[] bytes)
    {
        var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        stream.Write(bytes);
    }
}
