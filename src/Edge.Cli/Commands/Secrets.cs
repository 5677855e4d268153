namespace EdgeDeploy.Cli.Commands;

/// <summary>
/// Where the CLI takes secrets (tokens) from: a file or an environment variable. A secret on the command line still
/// works but is visible to every user through <c>ps</c> and /proc, so it draws a warning on stderr.
/// </summary>
internal static class Secrets
{
    /// <summary>The secret from argv, else from the file, else from the environment variable; null when none is set.</summary>
    /// <exception cref="ArgumentException">When both the argv value and the file are given.</exception>
    /// <exception cref="IOException">When the file cannot be read.</exception>
    public static string? Resolve(string? argvValue, string argvOption, string? file, string fileOption, string environmentVariable)
    {
        if (argvValue is not null && file is not null)
        {
            throw new ArgumentException($"give {argvOption} or {fileOption}, not both.");
        }

        if (argvValue is not null)
        {
            Console.Error.WriteLine($"warning: {argvOption} on the command line is visible to other users (ps, /proc/<pid>/cmdline); use {environmentVariable} or {fileOption} instead.");
            return argvValue;
        }

        if (file is not null)
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            {
                Console.Error.WriteLine($"warning: {file} ({fileOption}) is readable by group or others; make it owner-only (chmod 600).");
            }

            return File.ReadAllText(file).Trim(); // a trailing newline from echo or an editor is not part of the token
        }

        return Environment.GetEnvironmentVariable(environmentVariable);
    }

    /// <summary>
    /// Creates <paramref name="path"/> owner-only (0600) from its first byte (the open call sets the mode; there is no
    /// chmod afterwards and so no window in which another user could open it) and fails if it already exists.
    /// </summary>
    /// <exception cref="IOException">When <paramref name="path"/> exists.</exception>
    public static void CreateOwnerOnly(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }
}
