using System.Text.Json;
using EdgeDeploy.Runtime.Packages;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// The store's files and how they survive a crash. <c>versions/&lt;v&gt;/</c> holds each gated version (package and
/// gate report), <c>rejected/&lt;v&gt;.json</c> each refused one, <c>staging/</c> installs in progress, and
/// <c>active.json</c> (the pointer, written atomically) says which version serves and which served before. A crash at
/// any step leaves either the old pointer or the new one; staging leftovers never served and are deleted at open.
/// </summary>
internal sealed class StoreLayout
{
    private readonly string _versions;
    private readonly string _staging;
    private readonly string _rejected;
    private readonly string _pointer;

    private StoreLayout(string directory)
    {
        _versions = Path.Combine(directory, "versions");
        _staging = Path.Combine(directory, "staging");
        _rejected = Path.Combine(directory, "rejected");
        _pointer = Path.Combine(directory, "active.json");
    }

    /// <summary>Versions on disk that passed the gate, in ordinal order.</summary>
    public IReadOnlyList<string> InstalledVersions =>
        Directory.Exists(_versions) ? [.. Directory.GetDirectories(_versions).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)] : [];

    /// <summary>Creates the directories and deletes installs that died before activation.</summary>
    public static StoreLayout Open(string directory)
    {
        var layout = new StoreLayout(directory);
        AtomicFile.CreateOwnerOnlyDirectory(directory); // 0700 when new: what the device runs is nobody else's business
        Directory.CreateDirectory(layout._versions);
        Directory.CreateDirectory(layout._staging);
        Directory.CreateDirectory(layout._rejected);
        foreach (var leftover in Directory.GetFiles(layout._staging))
        {
            File.Delete(leftover); // an install that died before activation; it never served
        }

        return layout;
    }

    /// <summary>
    /// Loads what the pointer says; if that version is damaged, falls back through the history and rewrites the pointer.
    /// </summary>
    /// <returns>The pointer (null on a new store) and the loaded version (null when nothing could be loaded).</returns>
    public (StorePointer? Pointer, T? Loaded) Recover<T>(Func<string, T> load, ILogger logger)
        where T : class
    {
        var pointer = StorePointer.Read(_pointer);
        if (pointer is null)
        {
            return (null, null);
        }

        foreach (var candidate in new[] { pointer.Active }.Concat(pointer.History))
        {
            try
            {
                var loaded = load(candidate);
                if (candidate != pointer.Active)
                {
                    StoreLog.RecoveredFallback(logger, pointer.Active, candidate);
                    pointer = new StorePointer { Name = pointer.Name, Active = candidate, History = [.. pointer.History.SkipWhile(v => v != candidate).Skip(1)] };
                    WritePointer(pointer);
                }

                return (pointer, loaded);
            }
            catch (EdgeException ex)
            {
                StoreLog.RecoverFailed(logger, candidate, ex.Message);
            }
        }

        return (pointer, null);
    }

    /// <summary>The package file of an installed version (it may not exist).</summary>
    public string PackagePath(string version) => Path.Combine(_versions, version, "package.edgepkg");

    /// <summary>Writes package bytes to a new staging file, before anything is verified.</summary>
    public string Stage(byte[] package)
    {
        var staged = Path.Combine(_staging, Guid.NewGuid().ToString("N") + ".edgepkg");
        AtomicFile.Write(staged, package);
        StoreFaults.Point("staged");
        return staged;
    }

    /// <summary>Deletes a staging file that was not committed.</summary>
    public static void Discard(string staged)
    {
        if (File.Exists(staged))
        {
            File.Delete(staged);
        }
    }

    /// <summary>Moves a staged package that passed the gate into its version directory, beside its gate report.</summary>
    public void Commit(string staged, string version, GateReport gate, DateTimeOffset at)
    {
        var versionDir = Path.Combine(_versions, version);
        Directory.CreateDirectory(versionDir);
        File.Move(staged, Path.Combine(versionDir, "package.edgepkg"), overwrite: true);
        WriteGate(Path.Combine(versionDir, "gate.json"), gate, at); // flushes versionDir: the package's new name with it
        AtomicFile.SyncDirectory(_versions); // versionDir's own entry, before a pointer can name the version
        StoreFaults.Point("version-written");
    }

    /// <summary>Keeps the gate report of a refused version (the package itself is not kept).</summary>
    public void Reject(string version, GateReport gate, DateTimeOffset at) => WriteGate(Path.Combine(_rejected, version + ".json"), gate, at);

    /// <summary>Makes <paramref name="pointer"/> the one a restart reads: the commit point of an activation.</summary>
    public void WritePointer(StorePointer pointer) => pointer.Write(_pointer);

    /// <summary>The pointer as it is on disk now (another process, e.g. the update agent, may have moved it).</summary>
    public StorePointer? ReadPointer() => StorePointer.Read(_pointer);

    /// <summary>Deletes installed versions beyond <paramref name="keepVersions"/>, oldest install first, except those in <paramref name="keep"/>.</summary>
    public void Prune(IReadOnlySet<string> keep, int keepVersions)
    {
        var byAge = new DirectoryInfo(_versions).GetDirectories()
            .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d.FullName, "gate.json")))
            .ToList();
        foreach (var dir in byAge.Skip(keepVersions))
        {
            if (!keep.Contains(dir.Name))
            {
                dir.Delete(recursive: true);
            }
        }
    }

    private static void WriteGate(string path, GateReport gate, DateTimeOffset at) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(
        new GateRecord { Version = gate.Version, Passed = gate.Passed, Reason = gate.Reason, MetricValue = gate.MetricValue, At = at },
        StoreJsonContext.Default.GateRecord));
}
