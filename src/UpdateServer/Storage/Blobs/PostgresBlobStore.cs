using Npgsql;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Package blobs in PostgreSQL, so every replica serves every package: rows of <see cref="BlobContent.ChunkBytes"/> keyed by
/// (sha256, chunk index), and a <c>blobs</c> row, written last in the same transaction, that makes the blob visible. A range
/// read fetches only the chunks it spans (stored uncompressed, so <c>substring</c> reads just the requested bytes).
/// </summary>
internal sealed class PostgresBlobStore(NpgsqlDataSource dataSource, TimeProvider time) : IBlobStore
{
    public async Task PutAsync(string sha256, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!BlobContent.IsSha256(sha256))
        {
            throw new ArgumentException($"'{sha256}' is not a lowercase hex SHA-256.", nameof(sha256));
        }

        if (await GetSizeAsync(sha256, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var insert = new NpgsqlCommand("INSERT INTO blob_chunks VALUES ($1, $2, $3) ON CONFLICT DO NOTHING;", connection, tx);
        var shaParameter = new NpgsqlParameter<string> { TypedValue = sha256 };
        var index = new NpgsqlParameter<int>();
        var data = new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea };
        insert.Parameters.Add(shaParameter);
        insert.Parameters.Add(index);
        insert.Parameters.Add(data);
        var size = await BlobContent.CopyVerifiedAsync(content, sha256, maxBytes, async (chunk, ct) =>
        {
            data.TypedValue = chunk;
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            index.TypedValue++;
        }, cancellationToken).ConfigureAwait(false);

        // A replica storing the same blob at once waits on the chunk keys above, then finds them and this row already there.
        await using var publish = new NpgsqlCommand("INSERT INTO blobs VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING;", connection, tx);
        publish.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha256 });
        publish.Parameters.Add(new NpgsqlParameter<long> { TypedValue = size });
        publish.Parameters.Add(new NpgsqlParameter<int> { TypedValue = BlobContent.ChunkBytes });
        publish.Parameters.Add(new NpgsqlParameter<long> { TypedValue = time.GetUtcNow().ToUnixTimeMilliseconds() });
        await publish.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<long?> GetSizeAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT size FROM blobs WHERE sha256 = $1;");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha256 });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
    }

    public async Task<int> ReadAsync(string sha256, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        // The chunk size is read with the range (not assumed) so that blobs stored with another size stay readable.
        await using var command = dataSource.CreateCommand("""
            SELECT c.idx, substring(c.data FROM (r.skip + 1)::integer FOR ($2 + $3 - r.chunk_start - r.skip)::integer)
            FROM blobs b LEFT JOIN blob_chunks c ON c.sha256 = b.sha256
                AND c.idx BETWEEN $2 / b.chunk_bytes AND ($2 + $3 - 1) / b.chunk_bytes
            LEFT JOIN LATERAL (SELECT c.idx::bigint * b.chunk_bytes AS chunk_start, GREATEST($2 - c.idx::bigint * b.chunk_bytes, 0) AS skip) r ON true
            WHERE b.sha256 = $1 ORDER BY c.idx;
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha256 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = offset });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Math.Max(buffer.Length, 1) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var found = false;
        var total = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found = true;
            if (reader.IsDBNull(1) || total >= buffer.Length)
            {
                continue; // past the end: no chunk in range
            }

            var bytes = reader.GetFieldValue<byte[]>(1);
            var take = Math.Min(bytes.Length, buffer.Length - total);
            bytes.AsSpan(0, take).CopyTo(buffer.Span[total..]);
            total += take;
        }

        return found ? total : throw new FileNotFoundException($"No blob {sha256}.");
    }
}
