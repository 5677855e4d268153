using EdgeDeploy.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>
/// The gate figures a device sends with an install report: checked, tagged with the device's class (its
/// <see cref="DeviceClassAttribute"/> attribute) and stored as proto3 JSON beside the report; read back for the
/// rollout's install reports.
/// </summary>
internal static class InstallFigures
{
    /// <summary>The device attribute that names its hardware class.</summary>
    public const string DeviceClassAttribute = "hardware";

    private const int MaxEntries = 64;
    private const int MaxText = 128;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The JSON to store; empty when the report carried no figures.</summary>
    /// <exception cref="RpcException">InvalidArgument when the figures are oversized or not finite.</exception>
    public static string ToStored(GateFigures? figures, IReadOnlyDictionary<string, string> attributes)
    {
        if (figures is null)
        {
            return string.Empty;
        }

        if (figures.Latencies.Count > MaxEntries || figures.Metrics.Count > MaxEntries || figures.LoadBytes < 0 || figures.PeakBytes < 0
            || figures.Latencies.Any(l => l.Input.Length > MaxText || l.Shape.Length > MaxText || !double.IsFinite(l.P95Ms) || !double.IsFinite(l.BudgetMs))
            || figures.Metrics.Any(m => m.Name.Length > MaxText || double.IsInfinity(m.Value) || !double.IsFinite(m.Min) || !double.IsFinite(m.Max)))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"An install report's gate figures may hold at most {MaxEntries} latencies and {MaxEntries} metrics, names of at most {MaxText} characters, non-negative memory and finite numbers."));
        }

        var stored = figures.Clone();
        stored.DeviceClass = attributes.TryGetValue(DeviceClassAttribute, out var hardware) ? hardware : string.Empty;
        return Formatter.Format(stored);
    }

    /// <summary>The stored figures of a report; null when it has none (or they cannot be read).</summary>
    public static GateFigures? FromStored(InstallReportRecord report)
    {
        if (report.GateJson.Length == 0)
        {
            return null;
        }

        try
        {
            return Parser.Parse<GateFigures>(report.GateJson);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
