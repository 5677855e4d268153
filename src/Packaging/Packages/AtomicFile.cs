namespace EdgeDeploy.Runtime.Packages;

/// <summary>Crash-safe file replacement: write a temp file, flush it to disk, rename over the target.</summary>
internal static class AtomicFile
{
    /// <param name="path">Target file.</param>
    /// <param name="bytes">New content.</param>
    /// <param name="step">Called after each step ("pointer-temp-written", "pointer-renamed"); crash tests pause there.</param>
    public static void Write(string path, ReadOnlySpan<byte> bytes, Action<string>? step = null)
    {
        var temp = path + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        step?.Invoke("pointer-temp-written");
        File.Move(temp, path, overwrite: true);
        step?.Invoke("pointer-renamed");
    }
}
