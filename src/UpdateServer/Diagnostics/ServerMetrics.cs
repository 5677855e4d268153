using System.Globalization;
using System.Text;

namespace EdgeDeploy.UpdateServer.Diagnostics;

/// <summary>Running totals the server exposes in Prometheus text format at /metrics.</summary>
internal sealed class ServerMetrics
{
    private long _checkIns;
    private long _bytesServed;
    private long _telemetryRecords;

    public long CheckIns => Interlocked.Read(ref _checkIns);

    public long BytesServed => Interlocked.Read(ref _bytesServed);

    public void CheckedIn() => Interlocked.Increment(ref _checkIns);

    public void Served(long bytes) => Interlocked.Add(ref _bytesServed, bytes);

    public void Ingested(long records) => Interlocked.Add(ref _telemetryRecords, records);

    public string ToPrometheusText()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# TYPE edgedeploy_checkins_total counter");
        sb.AppendLine(CultureInfo.InvariantCulture, $"edgedeploy_checkins_total {CheckIns}");
        sb.AppendLine("# TYPE edgedeploy_download_bytes_total counter");
        sb.AppendLine(CultureInfo.InvariantCulture, $"edgedeploy_download_bytes_total {BytesServed}");
        sb.AppendLine("# TYPE edgedeploy_telemetry_records_total counter");
        sb.AppendLine(CultureInfo.InvariantCulture, $"edgedeploy_telemetry_records_total {Interlocked.Read(ref _telemetryRecords)}");
        return sb.ToString();
    }
}
