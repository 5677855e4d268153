using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Telemetry on PostgreSQL: the same contract as <see cref="SqliteTelemetryStore"/>. Each batch is one transaction on its
/// own pooled connection, so replicas and streams ingest in parallel; the (device, batch id) primary key makes a batch resent
/// to any replica a no-op (a concurrent duplicate waits on the key and then finds it taken). Predictions go in through one
/// binary <c>COPY</c> per batch, as chunks: one row per (series, hour) of the batch with its values as parallel arrays (see
/// the migration that made <c>prediction_chunks</c> for why). Ground truth is an upsert (a label may arrive again), one
/// statement over arrays.
/// </summary>
internal sealed class PostgresTelemetryStore(NpgsqlDataSource dataSource) : ITelemetryStore
{
    private const string CopyPredictions =
        "COPY prediction_chunks (series, hour, device_id, ts_from, ts_to, n, ts_ms, prediction_id, shadow, latency_us, input_values, input_missing, predicted, slices) FROM STDIN (FORMAT BINARY)";

    /// <summary>The chunk's arrays as rows, named as the old per-prediction columns were.</summary>
    private const string Unnest =
        "unnest(c.ts_ms, c.prediction_id, c.shadow, c.latency_us, c.input_values, c.input_missing, c.predicted, c.slices) AS u(ts_ms, prediction_id, shadow, latency_us, input_values, input_missing, predicted, slices)";

    /// <summary><see cref="Unnest"/> with each element's position, <c>o</c>.</summary>
    private const string UnnestOrdered =
        "unnest(c.ts_ms, c.prediction_id, c.shadow, c.latency_us, c.input_values, c.input_missing, c.predicted, c.slices) WITH ORDINALITY AS u(ts_ms, prediction_id, shadow, latency_us, input_values, input_missing, predicted, slices, o)";

    private const long HourMs = 3_600_000;

    private readonly ConcurrentDictionary<(string Model, string Version), int> _series = new();
    private long? _rollupsFromHour;

    public async Task<bool> StoreBatchAsync(TelemetryBatchRecord batch, long receivedUnixMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var series = new int[batch.Predictions.Count];
        for (var i = 0; i < series.Length; i++)
        {
            var p = batch.Predictions[i];
            series[i] = _series.TryGetValue((p.Model, p.Version), out var id) ? id : await SeriesIdAsync(p.Model, p.Version, cancellationToken).ConfigureAwait(false);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var claim = new NpgsqlCommand("INSERT INTO telemetry_batches VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING;", connection, tx))
        {
            claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
            claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.BatchId });
            claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = receivedUnixMs });
            claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Predictions.Count + batch.GroundTruth.Count });
            if (await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return false; // already stored, here or by another replica (the rollback on dispose undoes nothing)
            }
        }

        if (batch.Predictions.Count > 0)
        {
            await using var importer = await connection.BeginBinaryImportAsync(CopyPredictions, cancellationToken).ConfigureAwait(false);
            foreach (var chunk in Chunks(batch.Predictions, series))
            {
                await WriteChunkAsync(importer, batch.DeviceId, chunk, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        if (batch.Predictions.Any(p => p.RawInputs is not null))
        {
            var sampled = batch.Predictions.Where(p => p.RawInputs is not null).ToList();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO raw_inputs SELECT $1, id, ts, expires, inputs FROM unnest($2::uuid[], $3::bigint[], $4::bigint[], $5::bytea[]) AS u(id, ts, expires, inputs) ON CONFLICT DO NOTHING;",
                connection,
                tx);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
            insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. sampled.Select(p => p.PredictionId)] });
            insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. sampled.Select(p => p.TimestampMs)] });
            insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. sampled.Select(p => p.RawInputsExpireMs)] });
            insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. sampled.Select(p => p.RawInputs!)] });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (batch.Predictions.Any(p => p.Evidence is not null))
        {
            var scored = batch.Predictions.Where(p => p.Evidence is not null).ToList();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO prediction_evidence SELECT $1, id, ts, evidence FROM unnest($2::uuid[], $3::bigint[], $4::bytea[]) AS u(id, ts, evidence) ON CONFLICT DO NOTHING;",
                connection,
                tx);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
            insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. scored.Select(p => p.PredictionId)] });
            insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. scored.Select(p => p.TimestampMs)] });
            insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. scored.Select(p => p.Evidence!)] });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await RollUpAsync(connection, tx, batch, series, cancellationToken).ConfigureAwait(false);
        if (batch.GroundTruth.Count > 0)
        {
            // One upsert cannot touch a row twice: a label repeated in the batch keeps its last value, as a replace would.
            var labels = new Dictionary<Guid, IngestedGroundTruth>();
            foreach (var g in batch.GroundTruth)
            {
                labels[g.PredictionId] = g;
            }

            await using var upsert = new NpgsqlCommand(
                """
                INSERT INTO ground_truth (device_id, prediction_id, label, ts_ms, truth)
                SELECT $1, id, NULLIF(label, 'NaN'::double precision), ts, truth FROM unnest($2::uuid[], $3::double precision[], $4::bigint[], $5::bytea[]) AS u(id, label, ts, truth)
                ON CONFLICT (device_id, prediction_id) DO UPDATE SET label = EXCLUDED.label, ts_ms = EXCLUDED.ts_ms, truth = EXCLUDED.truth;
                """,
                connection,
                tx);
            upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
            upsert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. labels.Keys] });
            upsert.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = [.. labels.Values.Select(g => g.Label)] });
            upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. labels.Values.Select(g => g.TimestampMs)] });
            upsert.Parameters.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = [.. labels.Values.Select(g => g.Truth)] });
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public TelemetryCounts Count()
    {
        using var command = dataSource.CreateCommand("SELECT (SELECT COUNT(*) FROM telemetry_batches), (SELECT COALESCE(SUM(n), 0)::bigint FROM prediction_chunks), (SELECT COUNT(*) FROM ground_truth);");
        using var reader = command.ExecuteReader();
        reader.Read();
        return new TelemetryCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public VersionWindowSummary Summarize(string model, string version, long fromUnixMs, long toUnixMs)
    {
        using var connection = dataSource.OpenConnection();
        using var tx = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead); // one snapshot for roll-ups and raw rows
        var window = new WindowAccumulator();
        var (firstHour, endHour) = TelemetryRollup.WholeHours(fromUnixMs, toUnixMs, RollupsFromHour(connection, tx));
        if (firstHour < endHour)
        {
            ReadRaw(connection, tx, window, model, version, fromUnixMs, firstHour * HourMs);
            using (var command = new NpgsqlCommand(
                """
                SELECT kind, key, SUM(n)::bigint, SUM(input_values)::bigint, SUM(input_missing)::bigint, SUM(ground_truth)::bigint, SUM(correct)::bigint, SUM(abs_error)
                FROM telemetry_rollups WHERE series = (SELECT id FROM series WHERE model = $1 AND version = $2) AND hour >= $3 AND hour < $4 GROUP BY kind, key;
                """,
                connection,
                tx))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = model });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = version });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = firstHour });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = endHour });
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    window.AddRollup(reader.GetInt16(0), reader.GetDouble(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetDouble(7));
                }
            }

            ReadRaw(connection, tx, window, model, version, endHour * HourMs, toUnixMs);
        }
        else
        {
            ReadRaw(connection, tx, window, model, version, fromUnixMs, toUnixMs);
        }

        tx.Commit();
        return window.ToSummary();
    }

    private static void ReadRaw(NpgsqlConnection connection, NpgsqlTransaction tx, WindowAccumulator window, string model, string version, long fromUnixMs, long toUnixMs)
    {
        if (toUnixMs <= fromUnixMs)
        {
            return;
        }

        using var command = new NpgsqlCommand(
            $"""
            SELECT u.latency_us, u.input_values, u.input_missing, u.predicted, g.label, u.slices, e.evidence, g.truth FROM prediction_chunks c CROSS JOIN LATERAL {Unnest}
            LEFT JOIN ground_truth g ON g.device_id = c.device_id AND g.prediction_id = u.prediction_id
            LEFT JOIN prediction_evidence e ON e.device_id = c.device_id AND e.prediction_id = u.prediction_id
            WHERE c.series = (SELECT id FROM series WHERE model = $1 AND version = $2) AND c.ts_to >= $3 AND c.ts_from < $4
                AND NOT u.shadow AND u.ts_ms >= $3 AND u.ts_ms < $4;
            """,
            connection,
            tx);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = model });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromUnixMs });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toUnixMs });
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            double? label = reader.IsDBNull(4) ? null : reader.GetDouble(4);
            var scored = reader.IsDBNull(6) ? EvidenceOutcome.None : EvidenceOutcome.Of(reader.GetFieldValue<byte[]>(6), label ?? double.NaN, reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7));
            window.Add(reader.GetDouble(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), label, unchecked((ulong)reader.GetInt64(5)), scored);
        }
    }

    /// <summary>The first hour roll-ups answer for (set by the migration that created them); read once.</summary>
    private long RollupsFromHour(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        if (_rollupsFromHour is { } known)
        {
            return known;
        }

        using var command = new NpgsqlCommand("SELECT value FROM rollup_meta WHERE name = 'rollups_from_hour';", connection, tx);
        var value = command.ExecuteScalar() is long v ? v : 0;
        _rollupsFromHour = value;
        return value;
    }

    public async Task<long> PruneAsync(long beforeUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Ingest waits at its roll-up upsert until this commits, so the hour rebuilt below misses no batch and counts none twice.
        await using (var lockRollups = new NpgsqlCommand("LOCK TABLE telemetry_rollups IN SHARE ROW EXCLUSIVE MODE;", connection, tx))
        {
            await lockRollups.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                // Whole chunks before the cutoff go; a chunk the cutoff falls inside keeps its elements at or after it.
                Before("WITH gone AS (DELETE FROM prediction_chunks WHERE ts_to < $1 RETURNING n) SELECT COALESCE(SUM(n), 0)::bigint FROM gone;", beforeUnixMs),
                Before($"""
                    WITH kept AS (
                        SELECT c.id, MIN(c.n) AS old_n, COUNT(*)::integer AS n, MIN(u.ts_ms) AS ts_from, array_agg(u.ts_ms ORDER BY u.o) AS ts_ms,
                            array_agg(u.prediction_id ORDER BY u.o) AS prediction_id, array_agg(u.shadow ORDER BY u.o) AS shadow,
                            array_agg(u.latency_us ORDER BY u.o) AS latency_us, array_agg(u.input_values ORDER BY u.o) AS input_values,
                            array_agg(u.input_missing ORDER BY u.o) AS input_missing, array_agg(u.predicted ORDER BY u.o) AS predicted,
                            array_agg(u.slices ORDER BY u.o) AS slices
                        FROM prediction_chunks c CROSS JOIN LATERAL {UnnestOrdered}
                        WHERE c.ts_from < $1 AND c.ts_to >= $1 AND u.ts_ms >= $1 GROUP BY c.id),
                    trimmed AS (
                        UPDATE prediction_chunks c SET n = k.n, ts_from = k.ts_from, ts_ms = k.ts_ms, prediction_id = k.prediction_id, shadow = k.shadow,
                            latency_us = k.latency_us, input_values = k.input_values, input_missing = k.input_missing, predicted = k.predicted, slices = k.slices
                        FROM kept k WHERE c.id = k.id RETURNING k.old_n - k.n AS gone)
                    SELECT COALESCE(SUM(gone), 0)::bigint FROM trimmed;
                    """, beforeUnixMs),
                Before("WITH gone AS (DELETE FROM ground_truth WHERE ts_ms < $1 RETURNING 1) SELECT COUNT(*) FROM gone;", beforeUnixMs),
                Before("WITH gone AS (DELETE FROM raw_inputs WHERE ts_ms < $1 RETURNING 1) SELECT COUNT(*) FROM gone;", beforeUnixMs),
                Before("WITH gone AS (DELETE FROM prediction_evidence WHERE ts_ms < $1) SELECT 0::bigint;", beforeUnixMs),
                Before("WITH gone AS (DELETE FROM telemetry_batches WHERE received_ms < $1 RETURNING 1) SELECT COUNT(*) FROM gone;", beforeUnixMs),
                Before("WITH gone AS (DELETE FROM telemetry_rollups WHERE hour < $1 / 3600000 OR (hour = $1 / 3600000 AND $1 % 3600000 <> 0)) SELECT 0::bigint;", beforeUnixMs),
                Before("WITH gone AS (DELETE FROM rollup_orphan_labels WHERE ts_ms < $1) SELECT 0::bigint;", beforeUnixMs),
            },
        };
        long deleted = 0;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    deleted += reader.GetInt64(0);
                }
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        }

        if (beforeUnixMs % HourMs != 0 && beforeUnixMs / HourMs >= RollupsFromHour(connection, tx))
        {
            await RebuildHourAsync(connection, tx, beforeUnixMs / HourMs, cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    public async Task<IReadOnlyList<PredictionExportRow>> ExportPageAsync(PredictionExportQuery query, ExportCursor after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = dataSource.CreateCommand($"""
            SELECT c.id, u.o, u.prediction_id, c.device_id, u.ts_ms, u.predicted, u.slices, g.label, r.inputs FROM prediction_chunks c CROSS JOIN LATERAL {UnnestOrdered}
            LEFT JOIN ground_truth g ON g.device_id = c.device_id AND g.prediction_id = u.prediction_id
            LEFT JOIN raw_inputs r ON r.device_id = c.device_id AND r.prediction_id = u.prediction_id AND r.expires_ms > $8
            WHERE c.series = (SELECT id FROM series WHERE model = $1 AND version = $2) AND c.ts_to >= $3 AND c.ts_from < $4 AND c.id >= $5
                AND NOT u.shadow AND u.ts_ms >= $3 AND u.ts_ms < $4 AND (c.id, u.o) > ($5, $6) AND ($7 = 0 OR (u.slices & $7) <> 0)
                {(query.IncludeUnlabelled ? string.Empty : "AND g.label IS NOT NULL")} {(query.RawInputsOnly ? "AND r.inputs IS NOT NULL" : string.Empty)}
            ORDER BY c.id, u.o LIMIT $9;
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.Model });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.Version });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = query.FromUnixMs });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = query.ToUnixMs });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after.Major });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after.Minor });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = unchecked((long)query.SliceMask) });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = query.NowUnixMs });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var rows = new List<PredictionExportRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new PredictionExportRow(
                reader.GetGuid(2), reader.GetString(3), reader.GetInt64(4), reader.GetDouble(5), unchecked((ulong)reader.GetInt64(6)),
                reader.IsDBNull(7) ? null : reader.GetDouble(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<byte[]>(8), new ExportCursor(reader.GetInt64(0), reader.GetInt64(1))));
        }

        return rows;
    }

    public async Task<IReadOnlyList<(byte[] Evidence, byte[] Truth)>> ScoredEvidenceAsync(string model, string version, long fromUnixMs, long toUnixMs, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT e.evidence, g.truth FROM prediction_chunks c CROSS JOIN LATERAL {Unnest}
            JOIN prediction_evidence e ON e.device_id = c.device_id AND e.prediction_id = u.prediction_id
            JOIN ground_truth g ON g.device_id = c.device_id AND g.prediction_id = u.prediction_id AND g.truth IS NOT NULL
            WHERE c.series = (SELECT id FROM series WHERE model = $1 AND version = $2) AND c.ts_to >= $3 AND c.ts_from < $4
                AND NOT u.shadow AND u.ts_ms >= $3 AND u.ts_ms < $4
            ORDER BY u.ts_ms DESC LIMIT $5;
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = model });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromUnixMs });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toUnixMs });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var rows = new List<(byte[], byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add((reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1)));
        }

        return rows;
    }

    public async Task<long> PruneRawInputsAsync(long nowUnixMs, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM raw_inputs WHERE expires_ms <= $1;");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = nowUnixMs });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<HourCount>> PredictionsPerHourAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT hour, SUM(n)::bigint FROM prediction_chunks GROUP BY hour;");
        return await HourCount.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the batch to the hourly roll-ups (<see cref="TelemetryRollup"/>) in its own transaction: its served predictions
    /// (and any label that arrived before one of them), and its labels' outcomes at their predictions' hours, taking back a
    /// label each replaces; a label whose prediction is not stored yet waits in <c>rollup_orphan_labels</c>.
    /// </summary>
    private static async Task RollUpAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TelemetryBatchRecord batch, int[] series, CancellationToken cancellationToken)
    {
        var rollup = new TelemetryRollup();
        var shard = TelemetryRollup.Shard(batch.DeviceId);
        var served = new Dictionary<Guid, (int Series, IngestedPrediction P)>();
        for (var i = 0; i < batch.Predictions.Count; i++)
        {
            var p = batch.Predictions[i];
            if (!p.Shadow)
            {
                rollup.AddPrediction(series[i], p.TimestampMs, p.LatencyMicros, p.InputValues, p.InputMissing, p.Predicted, p.Slices, shard);
                served[p.PredictionId] = (series[i], p);
            }
        }

        if (served.Count > 0)
        {
            await using var take = new NpgsqlCommand(
                """
                WITH taken AS (DELETE FROM rollup_orphan_labels WHERE device_id = $1 AND prediction_id = ANY($2) RETURNING prediction_id)
                SELECT t.prediction_id, g.label, g.truth FROM taken t JOIN ground_truth g ON g.device_id = $1 AND g.prediction_id = t.prediction_id;
                """,
                connection,
                tx);
            take.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
            take.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. served.Keys] });
            await using var reader = await take.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (s, p) = served[reader.GetGuid(0)];
                var label = reader.IsDBNull(1) ? double.NaN : reader.GetDouble(1);
                var truth = reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2);
                if (!double.IsNaN(label) || truth is not null)
                {
                    rollup.AddLabel(s, p.TimestampMs, p.Predicted, p.Slices, label, 1, shard, EvidenceOutcome.Of(p.Evidence, label, truth));
                }
            }
        }

        if (batch.GroundTruth.Count > 0)
        {
            var labels = new Dictionary<Guid, IngestedGroundTruth>();
            foreach (var g in batch.GroundTruth)
            {
                labels[g.PredictionId] = g; // the last of a repeated label is the one stored
            }

            Guid[] ids = [.. labels.Keys];
            var predictions = new Dictionary<Guid, (int Series, long Ts, double Predicted, ulong Slices, bool Shadow)>();
            await using (var find = new NpgsqlCommand(
                """
                SELECT u.prediction_id, c.series, u.ts_ms, u.predicted, u.slices, u.shadow FROM prediction_chunks c
                CROSS JOIN LATERAL unnest(c.prediction_id, c.ts_ms, c.predicted, c.slices, c.shadow) AS u(prediction_id, ts_ms, predicted, slices, shadow)
                WHERE c.device_id = $1 AND c.prediction_id && $2 AND u.prediction_id = ANY($2);
                """,
                connection,
                tx))
            {
                find.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
                find.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
                await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    predictions.TryAdd(reader.GetGuid(0), (reader.GetInt32(1), reader.GetInt64(2), reader.GetDouble(3), unchecked((ulong)reader.GetInt64(4)), reader.GetBoolean(5)));
                }
            }

            var previous = new Dictionary<Guid, (double Label, byte[]? Truth)>();
            await using (var old = new NpgsqlCommand("SELECT prediction_id, label, truth FROM ground_truth WHERE device_id = $1 AND prediction_id = ANY($2);", connection, tx))
            {
                old.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
                old.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
                await using var reader = await old.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    previous[reader.GetGuid(0)] = (reader.IsDBNull(1) ? double.NaN : reader.GetDouble(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2));
                }
            }

            // The evidence of the labelled predictions (stored with them, possibly earlier in this transaction).
            var evidence = new Dictionary<Guid, byte[]>();
            await using (var find = new NpgsqlCommand("SELECT prediction_id, evidence FROM prediction_evidence WHERE device_id = $1 AND prediction_id = ANY($2);", connection, tx))
            {
                find.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
                find.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
                await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    evidence[reader.GetGuid(0)] = reader.GetFieldValue<byte[]>(1);
                }
            }

            var orphans = new List<IngestedGroundTruth>();
            foreach (var (id, g) in labels)
            {
                if (!predictions.TryGetValue(id, out var p))
                {
                    orphans.Add(g);
                    continue;
                }

                if (p.Shadow)
                {
                    continue;
                }

                var scoredEvidence = evidence.GetValueOrDefault(id);
                if (previous.TryGetValue(id, out var before))
                {
                    rollup.AddLabel(p.Series, p.Ts, p.Predicted, p.Slices, before.Label, -1, shard, EvidenceOutcome.Of(scoredEvidence, before.Label, before.Truth));
                }

                rollup.AddLabel(p.Series, p.Ts, p.Predicted, p.Slices, g.Label, 1, shard, EvidenceOutcome.Of(scoredEvidence, g.Label, g.Truth));
            }

            if (orphans.Count > 0)
            {
                await using var park = new NpgsqlCommand(
                    "INSERT INTO rollup_orphan_labels SELECT $1, id, ts FROM unnest($2::uuid[], $3::bigint[]) AS u(id, ts) ON CONFLICT DO NOTHING;", connection, tx);
                park.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
                park.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. orphans.Select(o => o.PredictionId)] });
                park.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. orphans.Select(o => o.TimestampMs)] });
                await park.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await UpsertRollupsAsync(connection, tx, rollup, "ON CONFLICT (series, hour, kind, key, shard) DO UPDATE SET n = telemetry_rollups.n + EXCLUDED.n, " +
            "input_values = telemetry_rollups.input_values + EXCLUDED.input_values, input_missing = telemetry_rollups.input_missing + EXCLUDED.input_missing, " +
            "ground_truth = telemetry_rollups.ground_truth + EXCLUDED.ground_truth, correct = telemetry_rollups.correct + EXCLUDED.correct, " +
            "abs_error = telemetry_rollups.abs_error + EXCLUDED.abs_error", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the roll-up rows (sorted, so concurrent transactions lock them in one order), one statement over arrays.</summary>
    private static async Task UpsertRollupsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TelemetryRollup rollup, string onConflict, CancellationToken cancellationToken)
    {
        var rows = rollup.Drain();
        if (rows.Count == 0)
        {
            return;
        }

        await using var upsert = new NpgsqlCommand(
            $"""
            INSERT INTO telemetry_rollups SELECT * FROM unnest($1::integer[], $2::bigint[], $3::smallint[], $4::double precision[], $5::smallint[], $6::bigint[],
                $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::double precision[]) {onConflict};
            """,
            connection,
            tx);
        upsert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. rows.Select(r => (int)r.Key.Series)] });
        upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Key.Hour)] });
        upsert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. rows.Select(r => (short)r.Key.Kind)] });
        upsert.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = [.. rows.Select(r => r.Key.Value)] });
        upsert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. rows.Select(r => (short)r.Key.Shard)] });
        upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Row.N)] });
        upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Row.Values)] });
        upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Row.Missing)] });
        upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Row.GroundTruth)] });
        upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Row.Correct)] });
        upsert.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = [.. rows.Select(r => r.Row.AbsError)] });
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Recomputes one hour's roll-ups (every series) from the chunks' remaining predictions (retention's partial hour).</summary>
    private static async Task RebuildHourAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long hour, CancellationToken cancellationToken)
    {
        var rollup = new TelemetryRollup();
        await using (var read = new NpgsqlCommand(
            $"""
            SELECT c.series, c.device_id, u.ts_ms, u.latency_us, u.input_values, u.input_missing, u.predicted, u.slices, g.label, g.ts_ms, e.evidence, g.truth
            FROM prediction_chunks c CROSS JOIN LATERAL {Unnest}
            LEFT JOIN ground_truth g ON g.device_id = c.device_id AND g.prediction_id = u.prediction_id
            LEFT JOIN prediction_evidence e ON e.device_id = c.device_id AND e.prediction_id = u.prediction_id
            WHERE c.hour = $1 AND NOT u.shadow;
            """,
            connection,
            tx))
        {
            read.Parameters.Add(new NpgsqlParameter<long> { TypedValue = hour });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (series, shard, ts, predicted, slices) = (reader.GetInt32(0), TelemetryRollup.Shard(reader.GetString(1)), reader.GetInt64(2), reader.GetDouble(6), unchecked((ulong)reader.GetInt64(7)));
                rollup.AddPrediction(series, ts, reader.GetDouble(3), reader.GetInt64(4), reader.GetInt64(5), predicted, slices, shard);
                if (!reader.IsDBNull(9))
                {
                    var label = reader.IsDBNull(8) ? double.NaN : reader.GetDouble(8);
                    var scored = reader.IsDBNull(10) ? EvidenceOutcome.None : EvidenceOutcome.Of(reader.GetFieldValue<byte[]>(10), label, reader.IsDBNull(11) ? null : reader.GetFieldValue<byte[]>(11));
                    rollup.AddLabel(series, ts, predicted, slices, label, 1, shard, scored);
                }
            }
        }

        await UpsertRollupsAsync(connection, tx, rollup, string.Empty, cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Before(string sql, long beforeUnixMs) =>
        new(sql) { Parameters = { new NpgsqlParameter<long> { TypedValue = beforeUnixMs } } };

    /// <summary>The batch's predictions grouped by (series, hour of their timestamp), in batch order within each group.</summary>
    private static IEnumerable<(int Series, long Hour, List<IngestedPrediction> Rows)> Chunks(IReadOnlyList<IngestedPrediction> predictions, int[] series)
    {
        // Almost always one group (a batch is one model version within minutes): avoid the dictionary until a second key shows up.
        var first = (series[0], predictions[0].TimestampMs / HourMs);
        Dictionary<(int, long), List<IngestedPrediction>>? more = null;
        var firstRows = new List<IngestedPrediction>(predictions.Count);
        for (var i = 0; i < predictions.Count; i++)
        {
            var key = (series[i], predictions[i].TimestampMs / HourMs);
            if (key == first)
            {
                firstRows.Add(predictions[i]);
            }
            else
            {
                more ??= [];
                if (!more.TryGetValue(key, out var rows))
                {
                    more[key] = rows = [];
                }

                rows.Add(predictions[i]);
            }
        }

        yield return (first.Item1, first.Item2, firstRows);
        if (more is not null)
        {
            foreach (var ((s, hour), rows) in more)
            {
                yield return (s, hour, rows);
            }
        }
    }

    private static async Task WriteChunkAsync(NpgsqlBinaryImporter importer, string deviceId, (int Series, long Hour, List<IngestedPrediction> Rows) chunk, CancellationToken cancellationToken)
    {
        var rows = chunk.Rows;
        var ts = new long[rows.Count];
        var ids = new Guid[rows.Count];
        var shadow = new bool[rows.Count];
        var latency = new double[rows.Count];
        var values = new long[rows.Count];
        var missing = new long[rows.Count];
        var predicted = new double[rows.Count];
        var slices = new long[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var p = rows[i];
            (ts[i], ids[i], shadow[i], latency[i], values[i], missing[i], predicted[i]) = (p.TimestampMs, p.PredictionId, p.Shadow, p.LatencyMicros, p.InputValues, p.InputMissing, p.Predicted);
            slices[i] = unchecked((long)p.Slices); // bigint is signed: the mask's bits as they are
        }

        await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(chunk.Series, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(chunk.Hour, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(deviceId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(ts.Min(), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(ts.Max(), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(rows.Count, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(ts, NpgsqlDbType.Array | NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(ids, NpgsqlDbType.Array | NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(shadow, NpgsqlDbType.Array | NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(latency, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(values, NpgsqlDbType.Array | NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(missing, NpgsqlDbType.Array | NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(predicted, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
        await importer.WriteAsync(slices, NpgsqlDbType.Array | NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The id of a (model, version) series, created if new. Committed on its own, before the batch's transaction: an id is
    /// never rolled back, and replicas creating the same series do not hold each other's ingest behind a row lock.
    /// </summary>
    private async Task<int> SeriesIdAsync(string model, string version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH created AS (INSERT INTO series (model, version) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id)
            SELECT id FROM created UNION ALL SELECT id FROM series WHERE model = $1 AND version = $2;
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = model });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = version });
        for (var attempt = 0; ; attempt++)
        {
            // Null when another replica's insert committed while ours waited on it: our snapshot predates that row; ask again.
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int id)
            {
                _series[(model, version)] = id;
                return id;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"Could not create or find the telemetry series {model} {version}.");
            }
        }
    }
}
