using Semver;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// The device's trust directory: the trusted root (<c>root.json</c>) and <c>state.json</c> with the root version and the
/// highest version installed per model, both written atomically. Thread-safe.
/// </summary>
public sealed class TrustStore
{
    private const string RootFile = "root.json";
    private const string StateFile = "state.json";

    private readonly string _directory;
    private readonly Lock _lock = new();
    private TrustRoot _root;
    private readonly TrustState _state;

    private TrustStore(string directory, TrustRoot root, TrustState state)
    {
        _directory = directory;
        _root = root;
        _state = state;
    }

    /// <summary>The trust directory.</summary>
    internal string DirectoryPath => _directory;

    /// <summary>The trusted root's version.</summary>
    public int RootVersion
    {
        get
        {
            lock (_lock)
            {
                return _root.Version;
            }
        }
    }

    /// <summary>The trusted root's expiry.</summary>
    public DateTimeOffset RootExpires
    {
        get
        {
            lock (_lock)
            {
                return _root.Metadata.Expires;
            }
        }
    }

    internal TrustRoot Root
    {
        get
        {
            lock (_lock)
            {
                return _root;
            }
        }
    }

    /// <summary>Creates a trust directory from a first root (shipped with the device), checking its self-signatures.</summary>
    public static TrustStore Initialize(string directory, byte[] rootJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = TrustRoot.LoadSelfSigned(rootJson);
        Directory.CreateDirectory(directory);
        var state = new TrustState { RootVersion = root.Version };
        AtomicFile.Write(Path.Combine(directory, RootFile), rootJson);
        AtomicFile.Write(Path.Combine(directory, StateFile), PackageJsonContext.Serialize(state, PackageJsonContext.Default.TrustState));
        return new TrustStore(directory, root, state);
    }

    /// <summary>Opens an existing trust directory.</summary>
    /// <exception cref="EdgeException">
    /// <see cref="EdgeErrorCode.RootMalformed"/> when root.json is missing or invalid; <see cref="EdgeErrorCode.RootVersionRollback"/>
    /// when root.json is older than the version this device already trusted.
    /// </exception>
    public static TrustStore Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var rootPath = Path.Combine(directory, RootFile);
        if (!File.Exists(rootPath))
        {
            throw new EdgeException(EdgeErrorCode.RootMalformed, $"Trust directory '{directory}' has no {RootFile}.");
        }

        var root = TrustRoot.LoadSelfSigned(File.ReadAllBytes(rootPath));
        var statePath = Path.Combine(directory, StateFile);
        var state = File.Exists(statePath)
            ? PackageJsonContext.Parse(File.ReadAllBytes(statePath), PackageJsonContext.Default.TrustState, EdgeErrorCode.RootMalformed, $"{StateFile} in '{directory}'")
            : new TrustState { RootVersion = root.Version };
        if (root.Version < state.RootVersion)
        {
            throw new EdgeException(EdgeErrorCode.RootVersionRollback, $"{RootFile} is version {root.Version} but this device already trusted version {state.RootVersion}.");
        }

        return new TrustStore(directory, root, state);
    }

    /// <summary>Accepts the next root version (signed by the old and new root thresholds, not yet expired) and persists it.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.RootExpired"/> when the new root has already expired; nothing changes.</exception>
    public void UpdateRoot(byte[] rootJson) => UpdateRoot(rootJson, TimeProvider.System.GetUtcNow());

    /// <summary><see cref="UpdateRoot(byte[])"/> at a given time.</summary>
    internal void UpdateRoot(byte[] rootJson, DateTimeOffset now)
    {
        lock (_lock)
        {
            var next = _root.Rotate(rootJson);
            if (next.Metadata.Expires <= now)
            {
                // Installing it would only make every package fail verification; an attacker replaying an old, expired
                // root (signed when its keys were still good) must not be able to move the device's root forward either.
                throw new EdgeException(EdgeErrorCode.RootExpired, $"Root version {next.Version} expired at {next.Metadata.Expires:O}; refusing to install an expired root. Ask for a newer root.");
            }

            AtomicFile.Write(Path.Combine(_directory, RootFile), rootJson);
            _state.RootVersion = next.Version;
            SaveState();
            _root = next;
        }
    }

    /// <summary>The highest version of <paramref name="modelName"/> installed on this device, or null.</summary>
    internal string? GetHighestInstalledVersion(string modelName)
    {
        lock (_lock)
        {
            return _state.HighestVersions.GetValueOrDefault(modelName);
        }
    }

    /// <summary>Records that <paramref name="version"/> of <paramref name="modelName"/> was installed; lower versions are refused from now on.</summary>
    internal void RecordInstalled(string modelName, string version)
    {
        var parsed = SemVersion.Parse(version, SemVersionStyles.Strict);
        lock (_lock)
        {
            var current = _state.HighestVersions.GetValueOrDefault(modelName);
            if (current is null || SemVersion.ComparePrecedence(parsed, SemVersion.Parse(current, SemVersionStyles.Strict)) > 0)
            {
                _state.HighestVersions[modelName] = version;
                SaveState();
            }
        }
    }

    private void SaveState() =>
        AtomicFile.Write(Path.Combine(_directory, StateFile), PackageJsonContext.Serialize(_state, PackageJsonContext.Default.TrustState));
}
