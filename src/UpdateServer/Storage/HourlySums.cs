namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Hourly roll-ups of device health reports and drift counts (tables <c>health_hourly</c> and <c>drift_hourly</c>, both
/// backends), added to in the transaction that stores the reports. <see cref="IUpdateStore.SumHealthAsync"/> and
/// <see cref="IUpdateStore.SumDriftAsync"/> read whole hours from them and only partial hours from the reports, so a
/// week of a 1,000-device fleet is a few hundred rows instead of a few hundred thousand. Sums are the same either way.
/// </summary>
internal static class HourlySums
{
    public const long HourMs = TelemetryRollup.HourMs;

    /// <summary>Health totals being added up (saturating, as <see cref="SaturatingCount"/>).</summary>
    public sealed class Health
    {
        public long Requests { get; private set; }

        public long Errors { get; private set; }

        public long[] Buckets { get; } = new long[EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount];

        public long GroundTruth { get; private set; }

        public long Correct { get; private set; }

        public double AbsErrorSum { get; private set; }

        public void Add(long requests, long errors, IReadOnlyList<long> buckets, long groundTruth, long correct, double absErrorSum)
        {
            Requests = SaturatingCount.Add(Requests, requests);
            Errors = SaturatingCount.Add(Errors, errors);
            for (var i = 0; i < Math.Min(buckets.Count, Buckets.Length); i++)
            {
                Buckets[i] = SaturatingCount.Add(Buckets[i], buckets[i]);
            }

            GroundTruth = SaturatingCount.Add(GroundTruth, groundTruth);
            Correct = SaturatingCount.Add(Correct, correct);
            AbsErrorSum += absErrorSum;
        }

        public void Add(HealthRecord h) => Add(h.Requests, h.Errors, h.LatencyBuckets, h.GroundTruth, h.Correct, h.AbsErrorSum);

        public HealthTotals ToTotals() => new(Requests, Errors, Buckets, GroundTruth, Correct, AbsErrorSum);
    }

    /// <summary>Drift counts per name being added up; a name keeps the bin layout it was first seen with (another cannot be merged).</summary>
    public sealed class Drift
    {
        public Dictionary<string, (long[] Counts, long Missing)> ByName { get; } = new(StringComparer.Ordinal);

        public void Add(string name, IReadOnlyList<long> counts, long missing)
        {
            var (sum, total) = ByName.TryGetValue(name, out var existing) ? existing : (new long[counts.Count], 0L);
            if (sum.Length != counts.Count)
            {
                return; // a device on another reference layout for the same name
            }

            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] = SaturatingCount.Add(sum[i], counts[i]);
            }

            ByName[name] = (sum, SaturatingCount.Add(total, missing));
        }
    }

    /// <summary>The reports grouped by their roll-up row (model, version, shadow, hour), hours before <paramref name="fromHour"/> left out, in key order.</summary>
    public static List<((string Model, string Version, bool Shadow, long Hour) Key, Health Sum)> GroupHealth(IEnumerable<HealthRecord> reports, long fromHour) =>
        [.. reports.Where(h => h.AtUnixMs >= 0 && h.AtUnixMs / HourMs >= fromHour)
            .GroupBy(h => (h.Model, h.Version, h.Shadow, Hour: h.AtUnixMs / HourMs))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Version, StringComparer.Ordinal).ThenBy(g => g.Key.Shadow).ThenBy(g => g.Key.Hour)
            .Select(g =>
            {
                var sum = new Health();
                foreach (var h in g)
                {
                    sum.Add(h);
                }

                return (g.Key, sum);
            })];

    /// <summary>The drift records grouped by their roll-up row (model, version, hour, name, bins), in key order.</summary>
    public static List<((string Model, string Version, long Hour, string Name, int Bins) Key, long[] Counts, long Missing)> GroupDrift(IEnumerable<DriftRecord> records, long fromHour) =>
        [.. records.Where(d => d.AtUnixMs >= 0 && d.AtUnixMs / HourMs >= fromHour)
            .GroupBy(d => (d.Model, d.Version, Hour: d.AtUnixMs / HourMs, d.Name, Bins: d.Counts.Length))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Version, StringComparer.Ordinal).ThenBy(g => g.Key.Hour)
            .ThenBy(g => g.Key.Name, StringComparer.Ordinal).ThenBy(g => g.Key.Bins)
            .Select(g =>
            {
                var sum = new Drift();
                foreach (var d in g)
                {
                    sum.Add(d.Name, d.Counts, d.Missing);
                }

                var (counts, missing) = sum.ByName[g.Key.Name];
                return (g.Key, counts, missing);
            })];
}
