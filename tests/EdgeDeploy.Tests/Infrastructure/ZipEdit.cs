using System.IO.Compression;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>Rewrites package archives the way an attacker or a broken transfer would.</summary>
internal static class ZipEdit
{
    public static Dictionary<string, byte[]> Read(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var s = e.Open();
            var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
    }

    public static byte[] Write(IEnumerable<(string Name, byte[] Bytes)> entries)
    {
        var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var s = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
                s.Write(bytes);
            }
        }

        return output.ToArray();
    }

    public static byte[] Replace(byte[] zip, string name, Func<byte[], byte[]> change) =>
        Write(Read(zip).Select(kv => (kv.Key, kv.Key == name ? change(kv.Value) : kv.Value)));

    public static byte[] Remove(byte[] zip, string name) => Write(Read(zip).Where(kv => kv.Key != name).Select(kv => (kv.Key, kv.Value)));

    public static byte[] Add(byte[] zip, string name, byte[] bytes) => Write(Read(zip).Select(kv => (kv.Key, kv.Value)).Append((name, bytes)));

    /// <summary>
    /// Makes the zip directory claim <paramref name="claimedSize"/> uncompressed bytes for <paramref name="name"/>
    /// (local header and central directory), whatever the entry really inflates to.
    /// </summary>
    public static byte[] LieAboutSize(byte[] zip, string name, uint claimedSize)
    {
        var bytes = (byte[])zip.Clone();
        var nameBytes = System.Text.Encoding.ASCII.GetBytes(name);
        for (var i = 0; i + 46 < bytes.Length; i++)
        {
            if (Matches(bytes, i, 0x04034b50) && NameAt(bytes, i + 30, BitConverter.ToUInt16(bytes, i + 26), nameBytes))
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i + 22), claimedSize);
            }

            if (Matches(bytes, i, 0x02014b50) && NameAt(bytes, i + 46, BitConverter.ToUInt16(bytes, i + 28), nameBytes))
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i + 24), claimedSize);
            }
        }

        return bytes;
    }

    private static bool Matches(byte[] b, int i, uint signature) => BitConverter.ToUInt32(b, i) == signature;

    private static bool NameAt(byte[] b, int offset, int length, byte[] name) =>
        length == name.Length && offset + length <= b.Length && b.AsSpan(offset, length).SequenceEqual(name);
}
