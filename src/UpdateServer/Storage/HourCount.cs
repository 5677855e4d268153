namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>How many rows one retention set holds for one hour (UTC, <see cref="HourStartUnixMs"/> a multiple of 3,600,000).</summary>
public readonly record struct HourCount(long HourStartUnixMs, long Rows)
{
    /// <summary>
    /// The cutoff that keeps at most <paramref name="maxRows"/> rows, dropping whole hours, oldest first: the start of the
    /// newest hour that no longer fits, plus one hour (rows before it go); null when everything fits or there is no cap (0).
    /// Hours are counted, not rows ranked, so the query stays a grouped count without an index on time across series.
    /// </summary>
    public static long? SizeCutoff(IEnumerable<HourCount> hours, long maxRows)
    {
        if (maxRows <= 0)
        {
            return null;
        }

        long kept = 0;
        foreach (var hour in hours.OrderByDescending(h => h.HourStartUnixMs))
        {
            kept += hour.Rows;
            if (kept > maxRows)
            {
                return hour.HourStartUnixMs + 3_600_000;
            }
        }

        return null;
    }

    /// <summary>Reads (hour number, rows) pairs, hour numbers being milliseconds / 3,600,000.</summary>
    internal static async Task<IReadOnlyList<HourCount>> ReadAsync(System.Data.Common.DbCommand command, CancellationToken cancellationToken)
    {
        var hours = new List<HourCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            hours.Add(new HourCount(reader.GetInt64(0) * 3_600_000, reader.GetInt64(1)));
        }

        return hours;
    }
}
