namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Creates the server's directories and secret files readable by its own user only, from the first byte (the mode is
/// given at creation, never chmod-ed afterwards, so no other process can open them in between). On Windows the
/// directory's ACL applies instead.
/// </summary>
internal static class OwnerOnly
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the directory (and missing parents) as 0700; an existing one keeps the mode its owner gave it.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, DirectoryMode);
    }

    /// <summary>
    /// Creates an empty 0600 file unless one exists, so a database engine then opening it (and its journal files, which
    /// SQLite creates with the database file's mode) never makes it world-readable.
    /// </summary>
    public static void EnsureFile(string path)
    {
        try
        {
            using var _ = Open(path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // already there
        }
    }

    /// <summary>Writes <paramref name="contents"/> to a new 0600 file at <paramref name="path"/> (via a temp file and a rename, so it is whole or absent).</summary>
    /// <exception cref="IOException">The file already exists.</exception>
    public static void WriteNewFile(string path, string contents)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = Open(temp))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(contents);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static FileStream Open(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode600;
        }

        return new FileStream(path, options);
    }
}
