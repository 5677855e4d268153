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
    private readonly string _statePath;
    private readonly Lock _lock = new();
    private TrustRoot _root;
    private readonly TrustState _state;

    private TrustStore(string directory, TrustRoot root, TrustState state, string? statePath = null)
    {
        _directory = directory;
        _statePath = statePath ?? Path.Combine(directory, StateFile);
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
    public static TrustStore Open(string directory) => Open(directory, null);

    /// <summary>
    /// Opens a trust directory read-only: the device's state (trusted root version, highest version installed per model)
    /// is kept in <paramref name="stateDirectory"/> (as <c>trust-state.json</c>) instead, so a shared root folder, such
    /// as the repository's sample <c>models/trust</c>, is never written. A state.json already in the trust directory is
    /// read as the starting point. <see cref="UpdateRoot(byte[])"/> still writes root.json into the trust directory.
    /// </summary>
    /// <exception cref="EdgeException">As <see cref="Open(string)"/>.</exception>
    public static TrustStore Open(string directory, string? stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new EdgeException(EdgeErrorCode.FileMissing, $"Trust directory '{directory}' does not exist; create one with 'edge root trust --trust {directory} <root.json>'.");
        }

        var rootPath = Path.Combine(directory, RootFile);
        if (!File.Exists(rootPath))
        {
            throw new EdgeException(EdgeErrorCode.RootMalformed, $"Trust directory '{directory}' has no {RootFile}.");
        }

        var root = TrustRoot.LoadSelfSigned(File.ReadAllBytes(rootPath));
        var ownState = stateDirectory is null ? null : Path.Combine(stateDirectory, "trust-state.json");
        var statePath = ownState is not null && File.Exists(ownState) ? ownState : Path.Combine(directory, StateFile);
        var state = File.Exists(statePath)
            ? PackageJsonContext.Parse(File.ReadAllBytes(statePath), PackageJsonContext.Default.TrustState, EdgeErrorCode.RootMalformed, $"{StateFile} in '{directory}'")
            : new TrustState { RootVersion = root.Version };
        if (root.Version < state.RootVersion)
        {
            throw new EdgeException(EdgeErrorCode.RootVersionRollback, $"{RootFile} is version {root.Version} but this device already trusted version {state.RootVersion}.");
        }

        if (stateDirectory is not null)
        {
            Directory.CreateDirectory(stateDirectory);
        }

        return new TrustStore(directory, root, state, ownState);
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
        AtomicFile.Write(_statePath, PackageJsonContext.Serialize(_state, PackageJsonContext.Default.TrustState));
}
