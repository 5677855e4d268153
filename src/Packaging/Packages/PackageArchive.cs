using System.IO.Compression;
using System.Security.Cryptography;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Reads a package zip defensively: safe names, no duplicates, bounded entry count and bounded reads.</summary>
internal sealed class PackageArchive : IDisposable
{
    public const string ManifestPath = "manifest.json";
    public const string SignaturesPath = "signatures.json";

    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);

    private PackageArchive(ZipArchive zip) => _zip = zip;

    public IReadOnlyCollection<string> EntryNames => _entries.Keys;

    public static PackageArchive Open(Stream stream, int maxEntries)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new EdgeException(EdgeErrorCode.PackageMalformed, $"The package is not a valid zip archive: {ex.Message}", ex);
        }

        var archive = new PackageArchive(zip);
        try
        {
            if (zip.Entries.Count > maxEntries)
            {
                throw new EdgeException(EdgeErrorCode.PackageMalformed, $"The package has {zip.Entries.Count} entries; at most {maxEntries} are allowed.");
            }

            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName;
                if (!IsSafeName(name))
                {
                    throw new EdgeException(EdgeErrorCode.PackageMalformed, $"The package has an entry with an unsafe name: '{name}'.");
                }

                if (!archive._entries.TryAdd(name, entry))
                {
                    throw new EdgeException(EdgeErrorCode.PackageMalformed, $"The package has two entries named '{name}'.");
                }
            }
        }
        catch
        {
            archive.Dispose();
            throw;
        }

        return archive;
    }

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The uncompressed size the zip directory claims (not trusted: reads are still bounded).</summary>
    public long DeclaredLength(string name) => _entries[name].Length;

    /// <summary>Reads a whole entry, refusing more than <paramref name="limit"/> bytes whatever the header claims.</summary>
    public byte[] ReadAll(string name, long limit, EdgeErrorCode missingCode)
    {
        if (!_entries.TryGetValue(name, out var entry))
        {
            throw new EdgeException(missingCode, $"The package has no '{name}'.");
        }

        if (entry.Length > limit)
        {
            throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"'{name}' is {entry.Length} bytes, over the limit of {limit}.");
        }

        using var stream = entry.Open();
        var buffer = new MemoryStream((int)Math.Min(entry.Length, limit));
        CopyBounded(stream, buffer, limit, name, null);
        return buffer.ToArray();
    }

    /// <summary>Reads an entry while hashing it; stops as soon as it passes <paramref name="limit"/> bytes.</summary>
    public (byte[] Bytes, string Sha256) ReadHashed(string name, long limit)
    {
        var entry = _entries[name];
        if (entry.Length > limit)
        {
            throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"'{name}' is {entry.Length} bytes, over the limit of {limit}.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var stream = entry.Open();
        var buffer = new MemoryStream((int)Math.Min(Math.Max(entry.Length, 0), limit));
        CopyBounded(stream, buffer, limit, name, hash);
        return (buffer.ToArray(), Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    public void Dispose() => _zip.Dispose();

    private static void CopyBounded(Stream source, Stream destination, long limit, string name, IncrementalHash? hash)
    {
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            total += read;
            if (total > limit)
            {
                // The zip header understated the size (a decompression bomb or endless stream): stop here.
                throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"'{name}' decompresses to more than {limit} bytes.");
            }

            hash?.AppendData(chunk, 0, read);
            destination.Write(chunk, 0, read);
        }
    }

    internal static bool IsSafeName(string name) =>
        name.Length is > 0 and <= 200
        && !name.StartsWith('/')
        && !name.EndsWith('/')
        && !name.Contains('\\', StringComparison.Ordinal)
        && !name.Contains(':', StringComparison.Ordinal)
        && !name.Split('/').Any(part => part is "" or "." or "..")
        && name.All(c => c >= 0x20 && c < 0x7f);
}
