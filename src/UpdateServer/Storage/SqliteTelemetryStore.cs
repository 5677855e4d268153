using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Telemetry in its own SQLite file (WAL, synchronous=NORMAL). The (device, batch id) primary key makes a resent batch a
/// no-op. SQLite has one writer, so batches from all streams queue to one writer task, which commits whatever is waiting
/// (up to 16 batches) in one transaction: no lock contention between streams, and fewer commits. Prediction rows go through
/// SQLitePCLRaw (the library under Microsoft.Data.Sqlite) with positional binds on one prepared statement: the ADO.NET
/// layer resolves every parameter by name on every execution, which cost more than the insert itself. Predictions name
/// their (model, version) by a small integer series id so the time index stays compact.
/// </summary>
internal sealed class SqliteTelemetryStore : ITelemetryStore, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS telemetry_batches (device_id TEXT NOT NULL, batch_id TEXT NOT NULL, received_ms INTEGER NOT NULL,
            records INTEGER NOT NULL, PRIMARY KEY (device_id, batch_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, UNIQUE (model, version));
        CREATE TABLE IF NOT EXISTS predictions (series INTEGER NOT NULL, ts_ms INTEGER NOT NULL, device_id TEXT NOT NULL,
            prediction_id BLOB NOT NULL, shadow INTEGER NOT NULL, latency_us REAL NOT NULL, input_values INTEGER NOT NULL,
            input_missing INTEGER NOT NULL, predicted REAL, slices INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS predictions_series_time ON predictions (series, ts_ms);
        CREATE TABLE IF NOT EXISTS ground_truth (device_id TEXT NOT NULL, prediction_id BLOB NOT NULL, label REAL,
            ts_ms INTEGER NOT NULL, truth BLOB, PRIMARY KEY (device_id, prediction_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS raw_inputs (device_id TEXT NOT NULL, prediction_id BLOB NOT NULL, ts_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL, inputs BLOB NOT NULL, PRIMARY KEY (device_id, prediction_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS raw_inputs_time ON raw_inputs (ts_ms);
        CREATE INDEX IF NOT EXISTS raw_inputs_expiry ON raw_inputs (expires_ms);
        CREATE TABLE IF NOT EXISTS prediction_evidence (device_id TEXT NOT NULL, prediction_id BLOB NOT NULL, ts_ms INTEGER NOT NULL,
            evidence BLOB NOT NULL, PRIMARY KEY (device_id, prediction_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS prediction_evidence_time ON prediction_evidence (ts_ms);
        """;

    /// <summary>Hourly roll-ups (<see cref="TelemetryRollup"/>); created with the rows' hour they are valid from (see <see cref="CreateRollups"/>).</summary>
    private const string RollupSchema = """
        CREATE TABLE telemetry_rollups (series INTEGER NOT NULL, hour INTEGER NOT NULL, kind INTEGER NOT NULL, key REAL NOT NULL,
            n INTEGER NOT NULL, input_values INTEGER NOT NULL, input_missing INTEGER NOT NULL, ground_truth INTEGER NOT NULL,
            correct INTEGER NOT NULL, abs_error REAL NOT NULL, PRIMARY KEY (series, hour, kind, key)) WITHOUT ROWID;
        CREATE TABLE rollup_orphan_labels (device_id TEXT NOT NULL, prediction_id BLOB NOT NULL, ts_ms INTEGER NOT NULL,
            PRIMARY KEY (device_id, prediction_id)) WITHOUT ROWID;
        CREATE TABLE rollup_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS predictions_id ON predictions (prediction_id);
        """;

    private const int MaxBatchesPerCommit = 16;

    private readonly Channel<PendingBatch> _queue = Channel.CreateBounded<PendingBatch>(new BoundedChannelOptions(64) { SingleReader = true });
    private readonly Task _writerTask;
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _insertBatch;
    private readonly sqlite3_stmt _insertPrediction;
    private readonly Dictionary<(string, string), long> _series = [];
    private readonly SqliteCommand _insertGroundTruth;
    private readonly SqliteCommand _insertRawInputs;
    private readonly SqliteCommand _insertEvidence;
    private readonly string _connectionString;
    private readonly TelemetryRollup _rollup = new();
    private readonly SqliteCommand _findPrediction;
    private readonly SqliteCommand _findLabel;
    private readonly SqliteCommand _addOrphan;
    private readonly SqliteCommand _takeOrphan;
    private readonly SqliteCommand _upsertRollup;
    private readonly long _rollupsFromHour;
    private bool _orphans;

    public SqliteTelemetryStore(string path)
    {
        OwnerOnly.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        OwnerOnly.EnsureFile(path); // 0600 before SQLite opens it; its -wal and -shm files take the same mode
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        // WAL + NORMAL: a commit survives a process crash; a bigger page cache keeps index pages of a busy ingest in memory.
        Execute(_writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;");
        Execute(_writer, Schema);
        AddSlicesColumn(_writer);
        AddTruthColumn(_writer);
        AllowNoPredictedValue(_writer);
        _rollupsFromHour = CreateRollups(_writer);
        _orphans = Scalar(_writer, "SELECT EXISTS (SELECT 1 FROM rollup_orphan_labels);") != 0;
        _findPrediction = Prepare(
            "SELECT series, ts_ms, predicted, slices, shadow, (SELECT evidence FROM prediction_evidence e WHERE e.device_id = $d AND e.prediction_id = $id) FROM predictions WHERE prediction_id = $id AND device_id = $d LIMIT 1;",
            "$id", "$d");
        _findLabel = Prepare("SELECT label, truth FROM ground_truth WHERE device_id = $d AND prediction_id = $id;", "$d", "$id");
        _addOrphan = Prepare("INSERT OR IGNORE INTO rollup_orphan_labels VALUES ($d, $id, $ts);", "$d", "$id", "$ts");
        _takeOrphan = Prepare(
            "DELETE FROM rollup_orphan_labels WHERE device_id = $d AND prediction_id = $id RETURNING (SELECT label FROM ground_truth g WHERE g.device_id = $d AND g.prediction_id = $id), (SELECT truth FROM ground_truth g WHERE g.device_id = $d AND g.prediction_id = $id);",
            "$d", "$id");
        _upsertRollup = Prepare(
            """
            INSERT INTO telemetry_rollups VALUES ($s, $h, $k, $key, $n, $v, $m, $g, $c, $a) ON CONFLICT (series, hour, kind, key) DO UPDATE SET
                n = n + excluded.n, input_values = input_values + excluded.input_values, input_missing = input_missing + excluded.input_missing,
                ground_truth = ground_truth + excluded.ground_truth, correct = correct + excluded.correct, abs_error = abs_error + excluded.abs_error;
            """,
            "$s", "$h", "$k", "$key", "$n", "$v", "$m", "$g", "$c", "$a");
        _insertBatch = Prepare("INSERT OR IGNORE INTO telemetry_batches VALUES ($d, $b, $at, $n);", "$d", "$b", "$at", "$n");
        Check(raw.sqlite3_prepare_v2(_writer.Handle, "INSERT INTO predictions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);", out _insertPrediction));
        _insertGroundTruth = Prepare("INSERT OR REPLACE INTO ground_truth (device_id, prediction_id, label, ts_ms, truth) VALUES ($d, $id, $label, $ts, $truth);", "$d", "$id", "$label", "$ts", "$truth");
        _insertEvidence = Prepare("INSERT OR IGNORE INTO prediction_evidence VALUES ($d, $id, $ts, $e);", "$d", "$id", "$ts", "$e");
        _insertRawInputs = Prepare("INSERT OR REPLACE INTO raw_inputs VALUES ($d, $id, $ts, $exp, $in);", "$d", "$id", "$ts", "$exp", "$in");
        _writerTask = Task.Run(WriteLoopAsync);
    }

    public async Task<bool> StoreBatchAsync(TelemetryBatchRecord batch, long receivedUnixMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var pending = new PendingBatch(batch, receivedUnixMs, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        return await pending.Stored.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public TelemetryCounts Count()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM telemetry_batches), (SELECT COUNT(*) FROM predictions), (SELECT COUNT(*) FROM ground_truth);";
        using var reader = command.ExecuteReader();
        reader.Read();
        return new TelemetryCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public VersionWindowSummary Summarize(string model, string version, long fromUnixMs, long toUnixMs)
    {
        using var connection = Open();
        using var read = connection.BeginTransaction(deferred: true); // one snapshot for the roll-ups and the raw rows
        var window = new WindowAccumulator();
        var (firstHour, endHour) = TelemetryRollup.WholeHours(fromUnixMs, toUnixMs, _rollupsFromHour);
        if (firstHour < endHour)
        {
            ReadRaw(connection, read, window, model, version, fromUnixMs, firstHour * TelemetryRollup.HourMs);
            using var command = connection.CreateCommand();
            command.Transaction = read;
            command.CommandText = """
                SELECT kind, key, SUM(n), SUM(input_values), SUM(input_missing), SUM(ground_truth), SUM(correct), SUM(abs_error) FROM telemetry_rollups
                WHERE series = (SELECT id FROM series WHERE model = $m AND version = $v) AND hour >= $from AND hour < $to GROUP BY kind, key;
                """;
            command.Parameters.AddWithValue("$m", model);
            command.Parameters.AddWithValue("$v", version);
            command.Parameters.AddWithValue("$from", firstHour);
            command.Parameters.AddWithValue("$to", endHour);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    window.AddRollup(reader.GetInt32(0), reader.GetDouble(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetDouble(7));
                }
            }

            ReadRaw(connection, read, window, model, version, endHour * TelemetryRollup.HourMs, toUnixMs);
        }
        else
        {
            ReadRaw(connection, read, window, model, version, fromUnixMs, toUnixMs);
        }

        return window.ToSummary();
    }

    private static void ReadRaw(SqliteConnection connection, SqliteTransaction read, WindowAccumulator window, string model, string version, long fromUnixMs, long toUnixMs)
    {
        if (toUnixMs <= fromUnixMs)
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.Transaction = read;
        command.CommandText = """
            SELECT p.latency_us, p.input_values, p.input_missing, p.predicted, g.label, p.slices, e.evidence, g.truth FROM predictions p
            LEFT JOIN ground_truth g ON g.device_id = p.device_id AND g.prediction_id = p.prediction_id
            LEFT JOIN prediction_evidence e ON e.device_id = p.device_id AND e.prediction_id = p.prediction_id
            WHERE p.series = (SELECT id FROM series WHERE model = $m AND version = $v) AND p.shadow = 0 AND p.ts_ms >= $from AND p.ts_ms < $to;
            """;
        command.Parameters.AddWithValue("$m", model);
        command.Parameters.AddWithValue("$v", version);
        command.Parameters.AddWithValue("$from", fromUnixMs);
        command.Parameters.AddWithValue("$to", toUnixMs);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            double? label = reader.IsDBNull(4) ? null : reader.GetDouble(4);
            var scored = reader.IsDBNull(6) ? EvidenceOutcome.None : EvidenceOutcome.Of((byte[])reader.GetValue(6), label ?? double.NaN, reader.IsDBNull(7) ? null : (byte[])reader.GetValue(7));
            window.Add(reader.GetDouble(0), reader.GetInt64(1), reader.GetInt64(2), Predicted(reader, 3), label, unchecked((ulong)reader.GetInt64(5)), scored);
        }
    }

    public async Task<long> PruneAsync(long beforeUnixMs, CancellationToken cancellationToken)
    {
        // Its own connection: SQLite's busy wait lets the writer task's transactions and this one take turns.
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long deleted = 0;
        foreach (var sql in (string[])[
            "DELETE FROM predictions WHERE series IN (SELECT id FROM series) AND ts_ms < $before;",
            "DELETE FROM raw_inputs WHERE ts_ms < $before;",
            "DELETE FROM prediction_evidence WHERE ts_ms < $before;",
            "DELETE FROM ground_truth WHERE ts_ms < $before;",
            "DELETE FROM telemetry_batches WHERE received_ms < $before;"])
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = sql;
            command.Parameters.AddWithValue("$before", beforeUnixMs);
            deleted += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Roll-ups go with their hours; the hour the cutoff falls inside is rebuilt from the predictions it keeps.
        var cutHour = beforeUnixMs / TelemetryRollup.HourMs;
        foreach (var sql in (string[])[
            "DELETE FROM telemetry_rollups WHERE hour < $hour OR (hour = $hour AND $partial);",
            "DELETE FROM rollup_orphan_labels WHERE ts_ms < $before;"])
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = sql;
            command.Parameters.AddWithValue("$hour", cutHour);
            command.Parameters.AddWithValue("$partial", beforeUnixMs % TelemetryRollup.HourMs != 0);
            command.Parameters.AddWithValue("$before", beforeUnixMs);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (beforeUnixMs % TelemetryRollup.HourMs != 0 && cutHour >= _rollupsFromHour)
        {
            RebuildHour(connection, tx, cutHour);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    public async Task<IReadOnlyList<PredictionExportRow>> ExportPageAsync(PredictionExportQuery query, ExportCursor after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT p.rowid, p.prediction_id, p.device_id, p.ts_ms, p.predicted, p.slices, g.label, r.inputs FROM predictions p
            LEFT JOIN ground_truth g ON g.device_id = p.device_id AND g.prediction_id = p.prediction_id
            LEFT JOIN raw_inputs r ON r.device_id = p.device_id AND r.prediction_id = p.prediction_id AND r.expires_ms > $now
            WHERE p.series = (SELECT id FROM series WHERE model = $m AND version = $v) AND p.shadow = 0 AND p.ts_ms >= $from AND p.ts_ms < $to
                AND p.rowid > $after AND ($mask = 0 OR (p.slices & $mask) != 0)
                {(query.IncludeUnlabelled ? string.Empty : "AND g.label IS NOT NULL")} {(query.RawInputsOnly ? "AND r.inputs IS NOT NULL" : string.Empty)}
            ORDER BY p.rowid LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$m", query.Model);
        command.Parameters.AddWithValue("$v", query.Version);
        command.Parameters.AddWithValue("$from", query.FromUnixMs);
        command.Parameters.AddWithValue("$to", query.ToUnixMs);
        command.Parameters.AddWithValue("$after", after.Major);
        command.Parameters.AddWithValue("$mask", unchecked((long)query.SliceMask));
        command.Parameters.AddWithValue("$now", query.NowUnixMs);
        command.Parameters.AddWithValue("$limit", limit);
        var rows = new List<PredictionExportRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new PredictionExportRow(
                new Guid((byte[])reader.GetValue(1)), reader.GetString(2), reader.GetInt64(3), Predicted(reader, 4), unchecked((ulong)reader.GetInt64(5)),
                reader.IsDBNull(6) ? null : reader.GetDouble(6), reader.IsDBNull(7) ? null : (byte[])reader.GetValue(7), new ExportCursor(reader.GetInt64(0), 0)));
        }

        return rows;
    }

    public async Task<IReadOnlyList<(byte[] Evidence, byte[] Truth)>> ScoredEvidenceAsync(string model, string version, long fromUnixMs, long toUnixMs, int limit, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT e.evidence, g.truth FROM predictions p
            JOIN prediction_evidence e ON e.device_id = p.device_id AND e.prediction_id = p.prediction_id
            JOIN ground_truth g ON g.device_id = p.device_id AND g.prediction_id = p.prediction_id AND g.truth IS NOT NULL
            WHERE p.series = (SELECT id FROM series WHERE model = $m AND version = $v) AND p.shadow = 0 AND p.ts_ms >= $from AND p.ts_ms < $to
            ORDER BY p.ts_ms DESC LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$m", model);
        command.Parameters.AddWithValue("$v", version);
        command.Parameters.AddWithValue("$from", fromUnixMs);
        command.Parameters.AddWithValue("$to", toUnixMs);
        command.Parameters.AddWithValue("$limit", limit);
        var rows = new List<(byte[], byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(((byte[])reader.GetValue(0), (byte[])reader.GetValue(1)));
        }

        return rows;
    }

    public async Task<long> PruneRawInputsAsync(long nowUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM raw_inputs WHERE expires_ms <= $now;";
        command.Parameters.AddWithValue("$now", nowUnixMs);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<HourCount>> PredictionsPerHourAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ts_ms / 3600000, COUNT(*) FROM predictions GROUP BY 1;";
        return await HourCount.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writerTask.Wait(TimeSpan.FromSeconds(30)); // let queued batches commit before the connection closes
        _insertBatch.Dispose();
        _insertPrediction.Dispose();
        _insertGroundTruth.Dispose();
        _insertRawInputs.Dispose();
        _insertEvidence.Dispose();
        _findPrediction.Dispose();
        _findLabel.Dispose();
        _addOrphan.Dispose();
        _takeOrphan.Dispose();
        _upsertRollup.Dispose();
        _writer.Dispose();
    }

    /// <summary>A prediction's value: NULL (SQLite's NaN) when the device had none to read.</summary>
    private static double Predicted(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? double.NaN : reader.GetDouble(ordinal);

    /// <summary>Files created before slice masks existed get the column (existing rows: no slices).</summary>
    private static void AddSlicesColumn(SqliteConnection connection)
    {
        using var check = connection.CreateCommand();
        check.CommandText = "SELECT COUNT(*) FROM pragma_table_info('predictions') WHERE name = 'slices';";
        if ((long)check.ExecuteScalar()! == 0)
        {
            Execute(connection, "ALTER TABLE predictions ADD COLUMN slices INTEGER NOT NULL DEFAULT 0;");
        }
    }

    /// <summary>
    /// Files whose predicted column is NOT NULL: a prediction with no value to read (its outputs too large to record, as
    /// for an OCR or vision model) has NaN, which SQLite stores as NULL. The table is copied once into the new shape,
    /// rowids kept (export cursors point at them), indexes rebuilt.
    /// </summary>
    private static void AllowNoPredictedValue(SqliteConnection connection)
    {
        if (Scalar(connection, "SELECT COUNT(*) FROM pragma_table_info('predictions') WHERE name = 'predicted' AND \"notnull\" = 1;") == 0)
        {
            return;
        }

        var idIndex = Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'predictions_id';") != 0;
        using var tx = connection.BeginTransaction();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = """
                CREATE TABLE predictions_nullable (series INTEGER NOT NULL, ts_ms INTEGER NOT NULL, device_id TEXT NOT NULL,
                    prediction_id BLOB NOT NULL, shadow INTEGER NOT NULL, latency_us REAL NOT NULL, input_values INTEGER NOT NULL,
                    input_missing INTEGER NOT NULL, predicted REAL, slices INTEGER NOT NULL DEFAULT 0);
                INSERT INTO predictions_nullable (rowid, series, ts_ms, device_id, prediction_id, shadow, latency_us, input_values, input_missing, predicted, slices)
                    SELECT rowid, series, ts_ms, device_id, prediction_id, shadow, latency_us, input_values, input_missing, predicted, slices FROM predictions;
                DROP TABLE predictions;
                ALTER TABLE predictions_nullable RENAME TO predictions;
                CREATE INDEX predictions_series_time ON predictions (series, ts_ms);
                """ + (idIndex ? "CREATE INDEX predictions_id ON predictions (prediction_id);" : string.Empty);
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>
    /// Files created before structured truth existed: ground_truth gets a nullable label (NULL: structured truth only) and
    /// the truth column. SQLite cannot drop a NOT NULL constraint, so the table is copied once into the new shape.
    /// </summary>
    private static void AddTruthColumn(SqliteConnection connection)
    {
        if (Scalar(connection, "SELECT COUNT(*) FROM pragma_table_info('ground_truth') WHERE name = 'truth';") != 0)
        {
            return;
        }

        using var tx = connection.BeginTransaction();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = """
                CREATE TABLE ground_truth_truth (device_id TEXT NOT NULL, prediction_id BLOB NOT NULL, label REAL,
                    ts_ms INTEGER NOT NULL, truth BLOB, PRIMARY KEY (device_id, prediction_id)) WITHOUT ROWID;
                INSERT INTO ground_truth_truth SELECT device_id, prediction_id, label, ts_ms, NULL FROM ground_truth;
                DROP TABLE ground_truth;
                ALTER TABLE ground_truth_truth RENAME TO ground_truth;
                """;
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>
    /// Creates the roll-up tables on first use and returns the first hour they answer for: 0 on a new file; on a file that
    /// already holds predictions, the hour after the newest of them (earlier hours are read raw until retention removes them).
    /// </summary>
    private static long CreateRollups(SqliteConnection connection)
    {
        if (Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'rollup_meta';") == 0)
        {
            using var tx = connection.BeginTransaction();
            using (var create = connection.CreateCommand())
            {
                create.Transaction = tx;
                create.CommandText = RollupSchema + """
                    INSERT INTO rollup_meta SELECT 'rollups_from_hour', COALESCE(MAX(ts_ms) / 3600000 + 1, 0) FROM predictions;
                    """;
                create.ExecuteNonQuery();
            }

            tx.Commit();
        }

        return Scalar(connection, "SELECT value FROM rollup_meta WHERE name = 'rollups_from_hour';");
    }

    /// <summary>Recomputes one hour's roll-ups (every series) from the raw rows it still holds.</summary>
    private static void RebuildHour(SqliteConnection connection, SqliteTransaction tx, long hour)
    {
        var rollup = new TelemetryRollup();
        using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = """
                SELECT p.series, p.ts_ms, p.latency_us, p.input_values, p.input_missing, p.predicted, p.slices, g.label, g.ts_ms, e.evidence, g.truth FROM predictions p
                LEFT JOIN ground_truth g ON g.device_id = p.device_id AND g.prediction_id = p.prediction_id
                LEFT JOIN prediction_evidence e ON e.device_id = p.device_id AND e.prediction_id = p.prediction_id
                WHERE p.series IN (SELECT id FROM series) AND p.shadow = 0 AND p.ts_ms >= $from AND p.ts_ms < $to;
                """;
            read.Parameters.AddWithValue("$from", hour * TelemetryRollup.HourMs);
            read.Parameters.AddWithValue("$to", (hour + 1) * TelemetryRollup.HourMs);
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                var (series, ts, predicted, slices) = (reader.GetInt64(0), reader.GetInt64(1), Predicted(reader, 5), unchecked((ulong)reader.GetInt64(6)));
                rollup.AddPrediction(series, ts, reader.GetDouble(2), reader.GetInt64(3), reader.GetInt64(4), predicted, slices);
                if (!reader.IsDBNull(8))
                {
                    var label = reader.IsDBNull(7) ? double.NaN : reader.GetDouble(7);
                    var scored = reader.IsDBNull(9) ? EvidenceOutcome.None : EvidenceOutcome.Of((byte[])reader.GetValue(9), label, reader.IsDBNull(10) ? null : (byte[])reader.GetValue(10));
                    rollup.AddLabel(series, ts, predicted, slices, label, 1, scored: scored);
                }
            }
        }

        using var upsert = connection.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = "INSERT INTO telemetry_rollups VALUES ($s, $h, $k, $key, $n, $v, $m, $g, $c, $a);";
        foreach (var name in (string[])["$s", "$h", "$k", "$key", "$n", "$v", "$m", "$g", "$c", "$a"])
        {
            upsert.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        foreach (var (key, row) in rollup.Drain())
        {
            Set(upsert, key.Series, key.Hour, key.Kind, key.Value, row.N, row.Values, row.Missing, row.GroundTruth, row.Correct, row.AbsError);
            upsert.ExecuteNonQuery();
        }
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<PendingBatch>(MaxBatchesPerCommit);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < MaxBatchesPerCommit && _queue.Reader.TryRead(out var pending))
            {
                group.Add(pending);
            }

            try
            {
                var stored = StoreGroup(group);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Stored.TrySetResult(stored[i]);
                }
            }
            catch (Exception ex)
            {
                _series.Clear(); // a series id created in the failed transaction was rolled back with it
                group.ForEach(p => p.Stored.TrySetException(ex));
            }
        }
    }

    /// <summary>One transaction for the group; per batch, true when stored now, false when it was already held. Writer task only.</summary>
    private bool[] StoreGroup(List<PendingBatch> group)
    {
        using var tx = _writer.BeginTransaction();
        _insertBatch.Transaction = _insertGroundTruth.Transaction = _insertRawInputs.Transaction = _insertEvidence.Transaction = tx;
        _findPrediction.Transaction = _findLabel.Transaction = _addOrphan.Transaction = _takeOrphan.Transaction = _upsertRollup.Transaction = tx;
        _rollup.Clear();
        var orphans = _orphans;
        var stored = new bool[group.Count];
        try
        {
            for (var b = 0; b < group.Count; b++)
            {
                stored[b] = Store(group[b].Batch, group[b].ReceivedUnixMs);
            }

            foreach (var (key, row) in _rollup.Drain())
            {
                Set(_upsertRollup, key.Series, key.Hour, key.Kind, key.Value, row.N, row.Values, row.Missing, row.GroundTruth, row.Correct, row.AbsError);
                _upsertRollup.ExecuteNonQuery();
            }

            tx.Commit();
        }
        catch
        {
            _orphans = orphans || _orphans; // conservative: keep checking for orphans
            throw;
        }

        return stored;
    }

    private bool Store(TelemetryBatchRecord batch, long receivedUnixMs)
    {
        Set(_insertBatch, batch.DeviceId, batch.BatchId, receivedUnixMs, batch.Predictions.Count + batch.GroundTruth.Count);
        if (_insertBatch.ExecuteNonQuery() == 0)
        {
            return false; // already stored (or twice in this group): nothing more to write
        }

        Span<byte> id = stackalloc byte[16];
        foreach (var p in batch.Predictions)
        {
            var s = _insertPrediction;
            p.PredictionId.TryWriteBytes(id);
            raw.sqlite3_bind_int64(s, 1, SeriesId(p.Model, p.Version));
            raw.sqlite3_bind_int64(s, 2, p.TimestampMs);
            raw.sqlite3_bind_text(s, 3, batch.DeviceId);
            raw.sqlite3_bind_blob(s, 4, id);
            raw.sqlite3_bind_int(s, 5, p.Shadow ? 1 : 0);
            raw.sqlite3_bind_double(s, 6, p.LatencyMicros);
            raw.sqlite3_bind_int64(s, 7, p.InputValues);
            raw.sqlite3_bind_int64(s, 8, p.InputMissing);
            raw.sqlite3_bind_double(s, 9, p.Predicted);
            raw.sqlite3_bind_int64(s, 10, unchecked((long)p.Slices)); // SQLite integers are signed 64-bit: the mask's bits as they are
            var rc = raw.sqlite3_step(s);
            raw.sqlite3_reset(s);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }

            if (p.RawInputs is { } inputs)
            {
                Set(_insertRawInputs, batch.DeviceId, id.ToArray(), p.TimestampMs, p.RawInputsExpireMs, inputs);
                _insertRawInputs.ExecuteNonQuery();
            }

            if (p.Evidence is { } evidence)
            {
                Set(_insertEvidence, batch.DeviceId, id.ToArray(), p.TimestampMs, evidence);
                _insertEvidence.ExecuteNonQuery();
            }

            if (!p.Shadow)
            {
                var series = SeriesId(p.Model, p.Version);
                _rollup.AddPrediction(series, p.TimestampMs, p.LatencyMicros, p.InputValues, p.InputMissing, p.Predicted, p.Slices);
                if (_orphans)
                {
                    // A label that came before its prediction counts now.
                    Set(_takeOrphan, batch.DeviceId, p.PredictionId.ToByteArray());
                    using var reader = _takeOrphan.ExecuteReader();
                    if (reader.Read() && !(reader.IsDBNull(0) && reader.IsDBNull(1)))
                    {
                        var label = reader.IsDBNull(0) ? double.NaN : reader.GetDouble(0);
                        var truth = reader.IsDBNull(1) ? null : (byte[])reader.GetValue(1);
                        _rollup.AddLabel(series, p.TimestampMs, p.Predicted, p.Slices, label, 1, scored: EvidenceOutcome.Of(p.Evidence, label, truth));
                    }
                }
            }
        }

        foreach (var g in batch.GroundTruth)
        {
            var predictionId = g.PredictionId.ToByteArray();
            RollUpLabel(batch.DeviceId, predictionId, g);
            Set(_insertGroundTruth, batch.DeviceId, predictionId, double.IsNaN(g.Label) ? DBNull.Value : g.Label, g.TimestampMs, (object?)g.Truth ?? DBNull.Value);
            _insertGroundTruth.ExecuteNonQuery();
        }

        return true;
    }

    /// <summary>Adds a label's outcome to its prediction's hour (taking back the label it replaces), or parks it as an orphan until the prediction arrives.</summary>
    private void RollUpLabel(string deviceId, byte[] predictionId, IngestedGroundTruth g)
    {
        Set(_findPrediction, predictionId, deviceId);
        long series = 0, ts = 0;
        double predicted = 0;
        ulong slices = 0;
        byte[]? evidence = null;
        bool found, shadow = false;
        using (var reader = _findPrediction.ExecuteReader())
        {
            found = reader.Read();
            if (found)
            {
                (series, ts, predicted, slices, shadow) = (reader.GetInt64(0), reader.GetInt64(1), Predicted(reader, 2), unchecked((ulong)reader.GetInt64(3)), reader.GetInt64(4) != 0);
                evidence = reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5);
            }
        }

        if (!found)
        {
            Set(_addOrphan, deviceId, predictionId, g.TimestampMs);
            _addOrphan.ExecuteNonQuery();
            _orphans = true;
            return;
        }

        if (shadow)
        {
            return;
        }

        Set(_findLabel, deviceId, predictionId);
        using (var reader = _findLabel.ExecuteReader())
        {
            if (reader.Read())
            {
                var previous = reader.IsDBNull(0) ? double.NaN : reader.GetDouble(0);
                var truth = reader.IsDBNull(1) ? null : (byte[])reader.GetValue(1);
                _rollup.AddLabel(series, ts, predicted, slices, previous, -1, scored: EvidenceOutcome.Of(evidence, previous, truth));
            }
        }

        _rollup.AddLabel(series, ts, predicted, slices, g.Label, 1, scored: EvidenceOutcome.Of(evidence, g.Label, g.Truth));
    }

    private sealed record PendingBatch(TelemetryBatchRecord Batch, long ReceivedUnixMs, TaskCompletionSource<bool> Stored);

    private long SeriesId(string model, string version)
    {
        if (_series.TryGetValue((model, version), out var id))
        {
            return id;
        }

        using var command = _writer.CreateCommand();
        command.Transaction = _insertBatch.Transaction;
        command.CommandText = "INSERT INTO series (model, version) VALUES ($m, $v) ON CONFLICT DO UPDATE SET model = model RETURNING id;";
        command.Parameters.AddWithValue("$m", model);
        command.Parameters.AddWithValue("$v", version);
        id = (long)command.ExecuteScalar()!;
        _series[(model, version)] = id; // dropped again if its transaction fails (WriteLoopAsync)
        return id;
    }

    private SqliteCommand Prepare(string sql, params string[] names)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private static void Set(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException(raw.sqlite3_errmsg(_writer.Handle).utf8_to_string(), rc);
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
