using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Crash-safe file replacement: write a temp file, flush it to disk, rename over the target, flush the directory. The
/// rename alone is atomic against a crash of the process; the directory flush makes it survive a power cut too (until
/// then the new name lives only in the page cache, and ext4 or XFS may come back with the old file or none).
/// </summary>
internal static partial class AtomicFile
{
    /// <summary>Owner read and write only (0600).</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner only, directory (0700).</summary>
    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <param name="path">Target file.</param>
    /// <param name="bytes">New content.</param>
    /// <param name="step">Called after each step ("pointer-temp-written", "pointer-renamed"); crash tests pause there.</param>
    public static void Write(string path, ReadOnlySpan<byte> bytes, Action<string>? step = null) => Write(path, bytes, secret: false, step);

    /// <summary>
    /// Replaces <paramref name="path"/> with secret material (keys, credentials): the temp file is created owner-only
    /// (0600) by the open call itself, so no other user can open it between creation and rename, and the rename keeps
    /// that mode.
    /// </summary>
    public static void WriteSecret(string path, ReadOnlySpan<byte> bytes) => Write(path, bytes, secret: true, step: null);

    /// <summary>Creates a new file owner-only (0600) from its first byte and fails if it exists; for private keys.</summary>
    /// <exception cref="IOException">When <paramref name="path"/> already exists.</exception>
    public static void CreateSecret(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, Options(FileMode.CreateNew, secret: true));
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Creates <paramref name="path"/> (and missing parents) owner-only (0700); an existing directory is left as it is.</summary>
    public static void CreateOwnerOnlyDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }

    private static void Write(string path, ReadOnlySpan<byte> bytes, bool secret, Action<string>? step)
    {
        var temp = path + ".tmp-" + Environment.ProcessId;
        if (secret)
        {
            // CreateNew never reuses (or follows a link at) a leftover temp file: its mode could be wider than ours.
            File.Delete(temp);
        }

        using (var stream = new FileStream(temp, Options(secret ? FileMode.CreateNew : FileMode.Create, secret)))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        step?.Invoke("pointer-temp-written");
        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        step?.Invoke("pointer-renamed");
    }

    /// <summary>
    /// Flushes a directory's entries (names created, renamed or removed in it) to disk: fsync on the directory, which .NET
    /// has no API for. Linux only; elsewhere, and where the file system refuses, it does nothing: the rename already
    /// happened and a crash of the process cannot undo it.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        const int ReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC, the same value on every Linux architecture
        try
        {
            var fd = Open(directory, ReadOnlyCloseOnExec);
            if (fd < 0)
            {
                return;
            }

            _ = Fsync(fd);
            _ = Close(fd);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc to call (not seen on Linux): the rename stands, only its flush is skipped
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private static FileStreamOptions Options(FileMode mode, bool secret)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return options;
    }
}
