using Npgsql;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// The PostgreSQL schema of every store (control plane, telemetry, package blobs), as numbered migrations recorded in
/// <c>schema_migrations</c>. Append a migration; never edit one that has shipped.
/// </summary>
/// <remarks>
/// Replicas may start at the same moment: migrating runs in one transaction under a transaction-scoped advisory lock, so
/// the second replica waits, then finds every migration applied. Text columns that are sorted compare bytes
/// (<c>COLLATE "C"</c>), as SQLite does, whatever locale the cluster was created with.
/// </remarks>
internal static class PostgresSchema
{
    /// <summary>Advisory lock key for migrations ("EDGEDEPL" in ASCII): any fixed number no other lock of ours uses.</summary>
    private const long MigrationLock = 0x45444745_4445504C;

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE packages (name text COLLATE "C" NOT NULL, version text COLLATE "C" NOT NULL, sha256 text NOT NULL, size bigint NOT NULL,
            published_ms bigint NOT NULL, manifest_json text NOT NULL, PRIMARY KEY (name, version));
        CREATE INDEX packages_sha ON packages (sha256);
        CREATE TABLE devices (device_id text COLLATE "C" PRIMARY KEY, token_hash text NOT NULL UNIQUE, attributes_json text NOT NULL,
            tags_json text NOT NULL, runtime_version text NOT NULL, registered_ms bigint NOT NULL, last_seen_ms bigint NOT NULL);
        CREATE TABLE device_installed (device_id text COLLATE "C" NOT NULL, model text COLLATE "C" NOT NULL, version text NOT NULL,
            PRIMARY KEY (device_id, model));
        CREATE TABLE rollouts (seq bigint GENERATED ALWAYS AS IDENTITY, id text PRIMARY KEY, model text NOT NULL, version text NOT NULL,
            strategy integer NOT NULL, canary_percent double precision NOT NULL, target_attributes_json text NOT NULL,
            target_tags_json text NOT NULL, state text NOT NULL, created_ms bigint NOT NULL, stages_json text NOT NULL DEFAULT '[100]',
            gates_json text NOT NULL DEFAULT '', on_failure integer NOT NULL DEFAULT 1, arms_json text NOT NULL DEFAULT '[]',
            current_stage integer NOT NULL DEFAULT 0, stage_started_ms bigint NOT NULL DEFAULT 0, state_reason text NOT NULL DEFAULT '',
            baseline_version text NOT NULL DEFAULT '');
        CREATE INDEX rollouts_state ON rollouts (state, created_ms);
        CREATE TABLE install_reports (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, device_id text NOT NULL, rollout_id text NOT NULL,
            model text NOT NULL, version text NOT NULL, success boolean NOT NULL, reason text NOT NULL, at_ms bigint NOT NULL);
        CREATE INDEX install_reports_rollout ON install_reports (rollout_id, device_id, id);
        CREATE TABLE health_reports (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, device_id text NOT NULL, model text NOT NULL,
            version text NOT NULL, shadow boolean NOT NULL, at_ms bigint NOT NULL, requests bigint NOT NULL, errors bigint NOT NULL,
            latency_buckets bigint[] NOT NULL, ground_truth bigint NOT NULL, correct bigint NOT NULL, abs_error_sum double precision NOT NULL);
        CREATE INDEX health_reports_version ON health_reports (model, version, shadow, at_ms);
        CREATE TABLE drift_counts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, device_id text NOT NULL, model text NOT NULL,
            version text NOT NULL, at_ms bigint NOT NULL, name text NOT NULL, counts bigint[] NOT NULL, missing bigint NOT NULL);
        CREATE INDEX drift_counts_version ON drift_counts (model, version, at_ms);
        CREATE TABLE alert_rules (id text COLLATE "C" PRIMARY KEY, model text NOT NULL, version text NOT NULL, metric text NOT NULL,
            feature text NOT NULL, below boolean NOT NULL, threshold double precision NOT NULL, window_seconds integer NOT NULL,
            min_samples bigint NOT NULL);
        CREATE TABLE alerts (id text COLLATE "C" PRIMARY KEY, rule_id text NOT NULL, model text NOT NULL, version text NOT NULL,
            metric text NOT NULL, value double precision NOT NULL, threshold double precision NOT NULL, opened_ms bigint NOT NULL,
            resolved_ms bigint, message text NOT NULL);
        CREATE INDEX alerts_open ON alerts (resolved_ms, rule_id, version);
        """,
        """
        CREATE TABLE telemetry_batches (device_id text NOT NULL, batch_id text NOT NULL, received_ms bigint NOT NULL, records integer NOT NULL,
            PRIMARY KEY (device_id, batch_id));
        CREATE TABLE series (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, model text NOT NULL, version text NOT NULL, UNIQUE (model, version));
        CREATE TABLE predictions (series integer NOT NULL, ts_ms bigint NOT NULL, device_id text NOT NULL, prediction_id uuid NOT NULL,
            shadow boolean NOT NULL, latency_us double precision NOT NULL, input_values bigint NOT NULL, input_missing bigint NOT NULL,
            predicted double precision NOT NULL, slices bigint NOT NULL DEFAULT 0);
        CREATE INDEX predictions_series_time ON predictions (series, ts_ms);
        CREATE TABLE ground_truth (device_id text NOT NULL, prediction_id uuid NOT NULL, label double precision NOT NULL, ts_ms bigint NOT NULL,
            PRIMARY KEY (device_id, prediction_id));
        """,
        """
        CREATE TABLE blobs (sha256 text PRIMARY KEY, size bigint NOT NULL, chunk_bytes integer NOT NULL, stored_ms bigint NOT NULL);
        CREATE TABLE blob_chunks (sha256 text NOT NULL, idx integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (sha256, idx));
        -- Packages are compressed archives: skip TOAST compression, which also lets substring() read a range without the whole chunk.
        ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
        """,
        """
        ALTER TABLE devices ADD COLUMN previous_token_hash text NOT NULL DEFAULT '';
        CREATE INDEX devices_previous_token ON devices (previous_token_hash);
        """,
        """
        CREATE TABLE operators (name text COLLATE "C" PRIMARY KEY, role text NOT NULL, token_hash text NOT NULL UNIQUE,
            created_by text NOT NULL, created_ms bigint NOT NULL, revoked_ms bigint);
        CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at_ms bigint NOT NULL, operator text NOT NULL,
            role text NOT NULL, action text NOT NULL, target text NOT NULL, reason text NOT NULL, outcome text NOT NULL);
        CREATE INDEX audit_log_time ON audit_log (at_ms);
        CREATE TABLE enrollment_tokens (id text COLLATE "C" PRIMARY KEY, token_hash text NOT NULL UNIQUE, description text NOT NULL,
            device_id text NOT NULL, max_uses integer NOT NULL, uses integer NOT NULL, expires_ms bigint NOT NULL, created_by text NOT NULL,
            created_ms bigint NOT NULL, revoked_ms bigint);
        CREATE TABLE device_rotations (device_id text COLLATE "C" PRIMARY KEY, requested_ms bigint NOT NULL);
        CREATE TABLE pending_devices (device_id text COLLATE "C" PRIMARY KEY, token_hash text NOT NULL UNIQUE, attributes_json text NOT NULL,
            tags_json text NOT NULL, runtime_version text NOT NULL, requested_ms bigint NOT NULL);
        """,
        """
        ALTER TABLE devices ADD COLUMN certificate_sha256 text NOT NULL DEFAULT '';
        -- One certificate, one device, also when two replicas bind at once.
        CREATE UNIQUE INDEX devices_certificate ON devices (certificate_sha256) WHERE certificate_sha256 <> '';
        """,
        """
        -- Change counters replicas poll (StoreChangeVersions): bumped by triggers, so in the same transaction as the change.
        CREATE TABLE store_changes (scope text PRIMARY KEY, version bigint NOT NULL);
        INSERT INTO store_changes VALUES ('rollouts', 0), ('devices', 0);
        CREATE FUNCTION edgedeploy_bump_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE store_changes SET version = version + 1 WHERE scope = TG_ARGV[0];
            RETURN NULL;
        END $$;
        CREATE TRIGGER rollouts_changed AFTER INSERT OR UPDATE OR DELETE ON rollouts FOR EACH STATEMENT EXECUTE FUNCTION edgedeploy_bump_change('rollouts');
        CREATE TRIGGER packages_changed AFTER INSERT OR UPDATE OR DELETE ON packages FOR EACH STATEMENT EXECUTE FUNCTION edgedeploy_bump_change('rollouts');
        CREATE TRIGGER devices_changed AFTER INSERT OR DELETE OR UPDATE OF token_hash, previous_token_hash, attributes_json, tags_json, runtime_version, certificate_sha256
            ON devices FOR EACH STATEMENT EXECUTE FUNCTION edgedeploy_bump_change('devices');
        CREATE TRIGGER rotations_changed AFTER INSERT OR DELETE ON device_rotations FOR EACH STATEMENT EXECUTE FUNCTION edgedeploy_bump_change('devices');
        -- Retention deletes by age (predictions through their (series, ts_ms) index: no extra index on the hottest table).
        CREATE INDEX health_reports_time ON health_reports (at_ms);
        CREATE INDEX drift_counts_time ON drift_counts (at_ms);
        CREATE INDEX telemetry_batches_received ON telemetry_batches (received_ms);
        """,
        """
        -- Predictions are stored in chunks: one row per (batch, series, hour) holding the batch's values as parallel arrays,
        -- written by one binary COPY row. A row per prediction cost PostgreSQL a heap tuple and an index entry each, and the
        -- server a converter call per value; a chunk costs one of each per ~1,000 predictions. Queries unnest the arrays.
        CREATE TABLE prediction_chunks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, series integer NOT NULL,
            hour bigint NOT NULL, device_id text NOT NULL, ts_from bigint NOT NULL, ts_to bigint NOT NULL, n integer NOT NULL,
            ts_ms bigint[] NOT NULL, prediction_id uuid[] NOT NULL, shadow boolean[] NOT NULL, latency_us double precision[] NOT NULL,
            input_values bigint[] NOT NULL, input_missing bigint[] NOT NULL, predicted double precision[] NOT NULL, slices bigint[] NOT NULL);
        CREATE INDEX prediction_chunks_series_time ON prediction_chunks (series, ts_to);
        -- Uncompressed TOAST: uuids and doubles barely compress, and pglz on every chunk costs more CPU than it saves disk.
        ALTER TABLE prediction_chunks ALTER COLUMN prediction_id SET STORAGE EXTERNAL, ALTER COLUMN latency_us SET STORAGE EXTERNAL,
            ALTER COLUMN predicted SET STORAGE EXTERNAL;
        INSERT INTO prediction_chunks (series, hour, device_id, ts_from, ts_to, n, ts_ms, prediction_id, shadow, latency_us, input_values, input_missing, predicted, slices)
            SELECT series, ts_ms / 3600000, device_id, MIN(ts_ms), MAX(ts_ms), COUNT(*), array_agg(ts_ms), array_agg(prediction_id), array_agg(shadow),
                array_agg(latency_us), array_agg(input_values), array_agg(input_missing), array_agg(predicted), array_agg(slices)
            FROM predictions GROUP BY series, ts_ms / 3600000, device_id;
        DROP TABLE predictions;
        """,
        """
        ALTER TABLE install_reports ADD COLUMN gate_json text NOT NULL DEFAULT '';
        """,
        """
        -- Webhooks for alert notifications and their outbox; the secret column holds the AES-GCM-sealed secret (WebhookSecrets).
        CREATE TABLE webhooks (id text COLLATE "C" PRIMARY KEY, url text NOT NULL, secret text NOT NULL, event_types_json text NOT NULL,
            models_json text NOT NULL, metrics_json text NOT NULL, description text NOT NULL, created_by text NOT NULL, created_ms bigint NOT NULL);
        CREATE TABLE webhook_deliveries (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text NOT NULL UNIQUE, webhook_id text NOT NULL,
            event_type text NOT NULL, alert_id text NOT NULL, payload text NOT NULL, state text NOT NULL, attempts integer NOT NULL,
            created_ms bigint NOT NULL, next_attempt_ms bigint NOT NULL, last_status integer NOT NULL, last_error text NOT NULL, delivered_ms bigint);
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_ms);
        CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
        """,
        """
        -- Hourly roll-ups of served predictions (TelemetryRollup), maintained on ingest; a shard column spreads the rows every
        -- replica's ingest adds to (the current hour's totals) so parallel batch transactions do not queue on one row lock.
        -- Hours before the newest prediction already stored are read raw (rollup_meta.rollups_from_hour).
        CREATE TABLE telemetry_rollups (series integer NOT NULL, hour bigint NOT NULL, kind smallint NOT NULL, key double precision NOT NULL,
            shard smallint NOT NULL, n bigint NOT NULL, input_values bigint NOT NULL, input_missing bigint NOT NULL, ground_truth bigint NOT NULL,
            correct bigint NOT NULL, abs_error double precision NOT NULL, PRIMARY KEY (series, hour, kind, key, shard));
        CREATE TABLE rollup_orphan_labels (device_id text NOT NULL, prediction_id uuid NOT NULL, ts_ms bigint NOT NULL, PRIMARY KEY (device_id, prediction_id));
        CREATE TABLE rollup_meta (name text PRIMARY KEY, value bigint NOT NULL);
        INSERT INTO rollup_meta SELECT 'rollups_from_hour', COALESCE(MAX(hour) + 1, 0) FROM prediction_chunks;
        CREATE INDEX prediction_chunks_device ON prediction_chunks (device_id, hour);
        """,
        """
        CREATE TABLE rollout_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, rollout_id text NOT NULL, at_ms bigint NOT NULL,
            actor text NOT NULL, action text NOT NULL, state text NOT NULL, stage integer NOT NULL, reason text NOT NULL, arms_json text NOT NULL);
        CREATE INDEX rollout_events_rollout ON rollout_events (rollout_id, id);
        CREATE INDEX health_reports_device ON health_reports (device_id, at_ms);
        """,
        """
        -- Hourly roll-ups of health reports and drift counts (HourlySums), added to in the reports' own transaction.
        CREATE TABLE health_hourly (model text NOT NULL, version text NOT NULL, shadow boolean NOT NULL, hour bigint NOT NULL, requests bigint NOT NULL,
            errors bigint NOT NULL, latency_buckets bigint[] NOT NULL, ground_truth bigint NOT NULL, correct bigint NOT NULL, abs_error_sum double precision NOT NULL,
            PRIMARY KEY (model, version, shadow, hour));
        CREATE TABLE drift_hourly (model text NOT NULL, version text NOT NULL, hour bigint NOT NULL, name text NOT NULL, bins integer NOT NULL,
            counts bigint[] NOT NULL, missing bigint NOT NULL, PRIMARY KEY (model, version, hour, name, bins));
        CREATE TABLE health_rollup_meta (name text PRIMARY KEY, value bigint NOT NULL);
        INSERT INTO health_rollup_meta SELECT 'from_hour', COALESCE(MAX(h), 0) FROM
            (SELECT MAX(at_ms) / 3600000 + 1 AS h FROM health_reports UNION ALL SELECT MAX(at_ms) / 3600000 + 1 FROM drift_counts) AS t;
        """,
        """
        CREATE TABLE raw_inputs (device_id text NOT NULL, prediction_id uuid NOT NULL, ts_ms bigint NOT NULL, expires_ms bigint NOT NULL,
            inputs bytea NOT NULL, PRIMARY KEY (device_id, prediction_id));
        CREATE INDEX raw_inputs_time ON raw_inputs (ts_ms);
        CREATE INDEX raw_inputs_expiry ON raw_inputs (expires_ms);
        """,
        """
        -- Online top-k, CER/WER and mAP: a prediction's evidence (PredictionRecord.Evidence) beside the chunks, as raw inputs
        -- are; a label's structured truth with it, the label NULL when the truth is structured only.
        CREATE TABLE prediction_evidence (device_id text NOT NULL, prediction_id uuid NOT NULL, ts_ms bigint NOT NULL, evidence bytea NOT NULL,
            PRIMARY KEY (device_id, prediction_id));
        CREATE INDEX prediction_evidence_time ON prediction_evidence (ts_ms);
        ALTER TABLE ground_truth ALTER COLUMN label DROP NOT NULL, ADD COLUMN truth bytea;
        """,
    ];

    /// <summary>The migration that moved predictions into <c>prediction_chunks</c> (its upgrade test migrates to just before it).</summary>
    internal static int PredictionChunksVersion => Array.FindIndex(Migrations, m => m.Contains("CREATE TABLE prediction_chunks", StringComparison.Ordinal)) + 1;

    /// <summary>How many migrations this build knows.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>Applies every migration not yet recorded (up to <paramref name="upTo"/>, tests only); safe to run from several processes at once.</summary>
    public static void Migrate(NpgsqlDataSource dataSource, TimeProvider time, int? upTo = null)
    {
        using var connection = dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLock});");
        Execute(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_ms bigint NOT NULL);");
        var applied = new HashSet<int>();
        using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations;", connection, tx))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        for (var i = 0; i < (upTo ?? Migrations.Length); i++)
        {
            if (applied.Contains(i + 1))
            {
                continue;
            }

            Execute(connection, tx, Migrations[i]);
            using var mark = new NpgsqlCommand("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2);", connection, tx);
            mark.Parameters.Add(new NpgsqlParameter<int> { TypedValue = i + 1 });
            mark.Parameters.Add(new NpgsqlParameter<long> { TypedValue = time.GetUtcNow().ToUnixTimeMilliseconds() });
            mark.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, tx);
        command.ExecuteNonQuery();
    }
}
