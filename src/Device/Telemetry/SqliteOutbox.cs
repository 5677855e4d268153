using Microsoft.Data.Sqlite;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// The durable outbox: SQLite in WAL mode with full sync, bounded in rows. Overflow drops the oldest rows and counts them
/// in a persisted counter. Rows leave only when acknowledged. One writer (the recorder's thread), many readers.
/// </summary>
internal sealed class SqliteOutbox : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly long _maxRecords;
    private readonly Lock _lock = new();
    private long _count;

    public SqliteOutbox(string path, long maxRecords)
    {
        _maxRecords = maxRecords;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!OperatingSystem.IsWindows() && !File.Exists(path))
        {
            // Predictions may carry personal data: the database is owner-only (0600) from its first byte, and SQLite
            // gives its -wal and -shm files the database file's mode. SQLite takes an empty file as a new database.
            try
            {
                new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }).Dispose();
            }
            catch (IOException) when (File.Exists(path))
            {
                // created by another opener meanwhile
            }
        }

        try
        {
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        }
        catch (TypeInitializationException ex) when (ex.GetBaseException() is DllNotFoundException missing)
        {
            // SQLite's native library is loaded on first use: a copied binary without it fails here, not at start.
            throw new FileNotFoundException(
                $"SQLite's native library (libe_sqlite3) was not found beside the program or on the library path; the telemetry outbox needs it (it ships beside edge and libedgeruntime.so). {missing.Message.Split('\n')[0]}",
                "libe_sqlite3.so",
                ex);
        }

        try
        {
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL;");
            Execute("PRAGMA synchronous=FULL;"); // a committed batch survives power loss, not just a process crash
            Execute("""
                CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL, created_ms INTEGER NOT NULL, payload BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT OR IGNORE INTO counters (name, value) VALUES ('dropped', 0), ('acknowledged', 0);
                """);
            _count = Scalar("SELECT COUNT(*) FROM outbox;");
        }
        catch (SqliteException ex)
        {
            // Not a database or not writable here: refused before anything is written, so the file stays as it was.
            _connection.Dispose();
            throw new IOException($"The telemetry outbox '{path}' cannot be used: {ex.Message}", ex);
        }
    }

    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public long Dropped => Counter("dropped");

    public long Acknowledged => Counter("acknowledged");

    /// <summary>Appends records in one transaction, then trims the oldest beyond the bound.</summary>
    public void Append(IReadOnlyList<(TelemetryRecordKind Kind, long CreatedMs, byte[] Payload)> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            using (var insert = _connection.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO outbox (kind, created_ms, payload) VALUES ($kind, $created, $payload);";
                var kind = insert.Parameters.Add("$kind", SqliteType.Integer);
                var created = insert.Parameters.Add("$created", SqliteType.Integer);
                var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
                insert.Prepare();
                foreach (var r in records)
                {
                    kind.Value = (int)r.Kind;
                    created.Value = r.CreatedMs;
                    payload.Value = r.Payload;
                    insert.ExecuteNonQuery();
                }
            }

            var over = _count + records.Count - _maxRecords;
            if (over > 0)
            {
                using var trim = _connection.CreateCommand();
                trim.Transaction = tx;
                trim.CommandText = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT $n); UPDATE counters SET value = value + $n WHERE name = 'dropped';";
                trim.Parameters.AddWithValue("$n", over);
                trim.ExecuteNonQuery();
            }

            tx.Commit();
            _count = Math.Min(_count + records.Count, _maxRecords);
        }
    }

    public OutboxBatch? ReadBatch(int max)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT id, kind, payload FROM outbox ORDER BY id LIMIT $max;";
            command.Parameters.AddWithValue("$max", max);
            using var reader = command.ExecuteReader();
            var records = new List<OutboxRecord>();
            while (reader.Read())
            {
                records.Add(new OutboxRecord(reader.GetInt64(0), (TelemetryRecordKind)reader.GetInt32(1), (byte[])reader.GetValue(2)));
            }

            return records.Count == 0 ? null : new OutboxBatch(records[0].Id, records[^1].Id, records);
        }
    }

    /// <summary>Deletes every record up to <paramref name="lastId"/>: the server has them.</summary>
    public void Acknowledge(long lastId)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            using var command = _connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "DELETE FROM outbox WHERE id <= $last; UPDATE counters SET value = value + changes() WHERE name = 'acknowledged';";
            command.Parameters.AddWithValue("$last", lastId);
            command.ExecuteNonQuery();
            tx.Commit();
            _count = Scalar("SELECT COUNT(*) FROM outbox;");
        }
    }

    public void Dispose() => _connection.Dispose();

    private long Counter(string name)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT value FROM counters WHERE name = $name;";
            command.Parameters.AddWithValue("$name", name);
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
