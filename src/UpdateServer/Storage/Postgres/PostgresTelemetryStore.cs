using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Telemetry on PostgreSQL: the same contract as <see cref="SqliteTelemetryStore"/>. Each batch is one transaction on its
/// own pooled connection, so replicas and streams ingest in parallel; the (device, batch id) primary key makes a batch resent
/// to any replica a no-op (a concurrent duplicate waits on the key and then finds it taken). Predictions go in through one
/// binary <c>COPY</c> per batch; ground truth is an upsert (a label may arrive again), one statement over arrays.
/// </summary>
internal sealed class PostgresTelemetryStore(NpgsqlDataSource dataSource) : ITelemetryStore
{
    private const string CopyPredictions =
        "COPY predictions (series, ts_ms, device_id, prediction_id, shadow, latency_us, input_values, input_missing, predicted, slices) FROM STDIN (FORMAT BINARY)";

    private readonly ConcurrentDictionary<(string Model, string Version), int> _series = new();

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
            for (var i = 0; i < series.Length; i++)
            {
                var p = batch.Predictions[i];
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(series[i], NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(p.TimestampMs, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(batch.DeviceId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(p.PredictionId, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(p.Shadow, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(p.LatencyMicros, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(p.InputValues, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(p.InputMissing, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(p.Predicted, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(unchecked((long)p.Slices), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false); // bigint is signed: the mask's bits as they are
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

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
                INSERT INTO ground_truth SELECT $1, id, label, ts FROM unnest($2::uuid[], $3::double precision[], $4::bigint[]) AS u(id, label, ts)
                ON CONFLICT (device_id, prediction_id) DO UPDATE SET label = EXCLUDED.label, ts_ms = EXCLUDED.ts_ms;
                """,
                connection,
                tx);
            upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.DeviceId });
            upsert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. labels.Keys] });
            upsert.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = [.. labels.Values.Select(g => g.Label)] });
            upsert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. labels.Values.Select(g => g.TimestampMs)] });
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public TelemetryCounts Count()
    {
        using var command = dataSource.CreateCommand("SELECT (SELECT COUNT(*) FROM telemetry_batches), (SELECT COUNT(*) FROM predictions), (SELECT COUNT(*) FROM ground_truth);");
        using var reader = command.ExecuteReader();
        reader.Read();
        return new TelemetryCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public VersionWindowSummary Summarize(string model, string version, long fromUnixMs, long toUnixMs)
    {
        using var command = dataSource.CreateCommand("""
            SELECT p.latency_us, p.input_values, p.input_missing, p.predicted, g.label, p.slices FROM predictions p
            LEFT JOIN ground_truth g ON g.device_id = p.device_id AND g.prediction_id = p.prediction_id
            WHERE p.series = (SELECT id FROM series WHERE model = $1 AND version = $2) AND NOT p.shadow AND p.ts_ms >= $3 AND p.ts_ms < $4;
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = model });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromUnixMs });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toUnixMs });
        var window = new WindowAccumulator();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                window.Add(reader.GetDouble(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), reader.IsDBNull(4) ? null : reader.GetDouble(4), unchecked((ulong)reader.GetInt64(5)));
            }
        }

        return window.ToSummary();
    }

    public async Task<long> PruneAsync(long beforeUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                // Per series, so the (series, ts_ms) index finds the old rows.
                new NpgsqlBatchCommand("DELETE FROM predictions WHERE series = ANY (SELECT id FROM series) AND ts_ms < $1;") { Parameters = { new NpgsqlParameter<long> { TypedValue = beforeUnixMs } } },
                new NpgsqlBatchCommand("DELETE FROM ground_truth WHERE ts_ms < $1;") { Parameters = { new NpgsqlParameter<long> { TypedValue = beforeUnixMs } } },
                new NpgsqlBatchCommand("DELETE FROM telemetry_batches WHERE received_ms < $1;") { Parameters = { new NpgsqlParameter<long> { TypedValue = beforeUnixMs } } },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return batch.BatchCommands.Sum<NpgsqlBatchCommand>(c => (long)c.RecordsAffected);
    }

    public async Task<IReadOnlyList<HourCount>> PredictionsPerHourAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT ts_ms / 3600000, COUNT(*) FROM predictions GROUP BY 1;");
        return await HourCount.ReadAsync(command, cancellationToken).ConfigureAwait(false);
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
