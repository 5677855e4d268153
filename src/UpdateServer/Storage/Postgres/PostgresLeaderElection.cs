using System.Net.Sockets;
using Npgsql;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Leader election on PostgreSQL: the leader is the replica whose dedicated, unpooled connection holds the session-level
/// advisory lock <see cref="LockKey"/> (<c>pg_try_advisory_lock</c>, never waiting). Each check the leader confirms on that
/// connection that it still holds the lock, and steps down when the connection fails; the others try to take the lock.
/// </summary>
/// <remarks>
/// PostgreSQL releases a session lock the moment the session ends: a leader killed with <c>kill -9</c> closes its socket,
/// so a follower takes over at its next check (one <see cref="UpdateServerOptions.CheckInFlushInterval"/>, 1 s by default).
/// A leader cut off by the network is noticed by PostgreSQL only when its TCP keepalives give up (server settings
/// <c>tcp_keepalives_idle/interval/count</c>); the cut-off leader itself steps down at its next check, when its query fails
/// (within <see cref="CheckTimeout"/>). Until then both may run an evaluation: the controller re-reads a rollout before it
/// saves a change, so an evaluation racing an operator's action or another evaluation does not overwrite it.
/// </remarks>
internal sealed class PostgresLeaderElection : ILeaderElection, IAsyncDisposable, IDisposable
{
    /// <summary>The advisory lock key ("EDGELEAD" in ASCII), distinct from the migration lock.</summary>
    public const long LockKey = 0x45444745_4C454144;

    /// <summary>How long a check may take before the connection is taken for lost.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _lockSource;
    private readonly ILogger<PostgresLeaderElection> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _replica = $"{Environment.MachineName}/{Environment.ProcessId}";
    private NpgsqlConnection? _connection;
    private volatile bool _isLeader;

    public PostgresLeaderElection(string connectionString, ILogger<PostgresLeaderElection> logger)
    {
        // Its own unpooled connection: a session lock must never go back to a pool, and closing it must end the session.
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = "edgedeploy-leader",
            Timeout = (int)CheckTimeout.TotalSeconds,
            CommandTimeout = (int)CheckTimeout.TotalSeconds,
            TcpKeepAlive = true,
        };
        _lockSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _logger = logger;
    }

    public bool IsLeader => _isLeader;

    public bool Replicated => true;

    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_isLeader)
            {
                if (!await HoldsLockAsync(cancellationToken).ConfigureAwait(false))
                {
                    await StepDownAsync("the lock is no longer held by this replica's session").ConfigureAwait(false);
                }
            }
            else
            {
                _connection ??= await _lockSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey});", _connection);
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                {
                    _isLeader = true;
                    ServerLog.LeadershipAcquired(_logger, _replica);
                }
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or PostgresException or TimeoutException or IOException or SocketException or InvalidOperationException)
        {
            await StepDownAsync(ex.Message).ConfigureAwait(false); // the next check opens a fresh connection
        }
        finally
        {
            _gate.Release();
        }

        return _isLeader;
    }

    public async Task ResignAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_isLeader)
            {
                await StepDownAsync("resigned on shutdown").ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _lockSource.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>For a container disposed synchronously: closing the connection ends the session and releases the lock.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Whether this replica's session still holds the lock; throws when the connection is gone.</summary>
    private async Task<bool> HoldsLockAsync(CancellationToken cancellationToken)
    {
        if (_connection is null)
        {
            return false;
        }

        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1);",
            _connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (LockKey >> 32) & 0xFFFFFFFF });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = LockKey & 0xFFFFFFFF });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    private async Task StepDownAsync(string reason)
    {
        if (_isLeader)
        {
            _isLeader = false;
            ServerLog.LeadershipLost(_logger, _replica, reason);
        }

        await CloseAsync().ConfigureAwait(false); // ends the session, so the lock is released even if we held it unknowingly
    }

    private async Task CloseAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or SocketException)
            {
                // Already broken: nothing to release.
            }
        }
    }
}
