using EdgeDeploy.Runtime.Tensors;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Kinds of outbox record.</summary>
public enum TelemetryRecordKind
{
    /// <summary>A prediction (<see cref="PredictionRecord"/>).</summary>
    Prediction = 1,

    /// <summary>Ground truth for an earlier prediction (<see cref="GroundTruthRecord"/>).</summary>
    GroundTruth = 2,
}

/// <summary>Summary of one input tensor: enough to watch for drift and bad data without keeping raw inputs.</summary>
/// <param name="Name">Input name.</param>
/// <param name="Shape">Shape.</param>
/// <param name="Count">Numeric elements summarised.</param>
/// <param name="Missing">NaN elements (floating-point inputs).</param>
/// <param name="Min">Smallest finite value.</param>
/// <param name="Max">Largest finite value.</param>
/// <param name="Mean">Mean of finite values.</param>
public sealed record InputSummary(string Name, long[] Shape, long Count, long Missing, double Min, double Max, double Mean);

/// <summary>One recorded prediction.</summary>
/// <param name="PredictionId">Id ground truth refers to.</param>
/// <param name="Model">Model name.</param>
/// <param name="Version">Version that produced it.</param>
/// <param name="TimestampMs">Unix time in milliseconds.</param>
/// <param name="LatencyMicros">Model latency.</param>
/// <param name="Shadow">True for a shadow run (never returned to the caller).</param>
/// <param name="Inputs">Per-input summaries.</param>
/// <param name="Outputs">Outputs of up to 64 elements each (larger ones are left out).</param>
public sealed record PredictionRecord(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, IReadOnlyList<InputSummary> Inputs, IReadOnlyDictionary<string, EdgeTensor> Outputs);

/// <summary>The true label of an earlier prediction.</summary>
/// <param name="PredictionId">The prediction.</param>
/// <param name="Label">Ground truth.</param>
/// <param name="TimestampMs">Unix time in milliseconds.</param>
public sealed record GroundTruthRecord(Guid PredictionId, double Label, long TimestampMs);

/// <summary>MessagePack formatters for telemetry records (hand-written, composite resolver, AOT-safe).</summary>
public static class TelemetryCodec
{
    private static readonly IFormatterResolver Resolver = CompositeResolver.Create(
        [new InputSummaryFormatter(), new PredictionFormatter(), new GroundTruthFormatter()],
        [Packages.TestSetCodec.Resolver]);

    private static readonly MessagePackSerializerOptions Options = new MessagePackSerializerOptions(Resolver).WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Encodes a prediction record.</summary>
    public static byte[] Encode(PredictionRecord record) => Write(record);

    /// <summary>Encodes a ground-truth record.</summary>
    public static byte[] Encode(GroundTruthRecord record) => Write(record);

    /// <summary>Decodes a prediction record.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the bytes are not one.</exception>
    public static PredictionRecord DecodePrediction(ReadOnlyMemory<byte> bytes) => Read<PredictionRecord>(bytes);

    /// <summary>Decodes a ground-truth record.</summary>
    public static GroundTruthRecord DecodeGroundTruth(ReadOnlyMemory<byte> bytes) => Read<GroundTruthRecord>(bytes);

    private static byte[] Write<T>(T value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        Resolver.GetFormatterWithVerify<T>().Serialize(ref writer, value, Options);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static T Read<T>(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            return Resolver.GetFormatterWithVerify<T>().Deserialize(ref reader, Options);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException or EdgeException)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Not a valid {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    private sealed class InputSummaryFormatter : IMessagePackFormatter<InputSummary>
    {
        public void Serialize(ref MessagePackWriter writer, InputSummary value, MessagePackSerializerOptions options)
        {
            writer.WriteArrayHeader(7);
            writer.Write(value.Name);
            writer.WriteArrayHeader(value.Shape.Length);
            foreach (var d in value.Shape)
            {
                writer.Write(d);
            }

            writer.Write(value.Count);
            writer.Write(value.Missing);
            writer.Write(value.Min);
            writer.Write(value.Max);
            writer.Write(value.Mean);
        }

        public InputSummary Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            Expect(reader.ReadArrayHeader() == 7);
            var name = reader.ReadString() ?? string.Empty;
            var shape = new long[Math.Min(reader.ReadArrayHeader(), 16)];
            for (var i = 0; i < shape.Length; i++)
            {
                shape[i] = reader.ReadInt64();
            }

            return new InputSummary(name, shape, reader.ReadInt64(), reader.ReadInt64(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        }
    }

    private sealed class PredictionFormatter : IMessagePackFormatter<PredictionRecord>
    {
        public void Serialize(ref MessagePackWriter writer, PredictionRecord value, MessagePackSerializerOptions options)
        {
            var summary = options.Resolver.GetFormatterWithVerify<InputSummary>();
            writer.WriteArrayHeader(8);
            writer.Write(value.PredictionId.ToString("N"));
            writer.Write(value.Model);
            writer.Write(value.Version);
            writer.Write(value.TimestampMs);
            writer.Write(value.LatencyMicros);
            writer.Write(value.Shadow);
            writer.WriteArrayHeader(value.Inputs.Count);
            foreach (var i in value.Inputs)
            {
                summary.Serialize(ref writer, i, options);
            }

            options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>().Serialize(ref writer, value.Outputs, options);
        }

        public PredictionRecord Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var summary = options.Resolver.GetFormatterWithVerify<InputSummary>();
            Expect(reader.ReadArrayHeader() == 8);
            var id = Guid.ParseExact(reader.ReadString() ?? string.Empty, "N");
            var model = reader.ReadString() ?? string.Empty;
            var version = reader.ReadString() ?? string.Empty;
            var ts = reader.ReadInt64();
            var latency = reader.ReadDouble();
            var shadow = reader.ReadBoolean();
            var count = reader.ReadArrayHeader();
            var inputs = new List<InputSummary>(Math.Min(count, 64));
            for (var i = 0; i < count; i++)
            {
                inputs.Add(summary.Deserialize(ref reader, options));
            }

            var outputs = options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>().Deserialize(ref reader, options);
            return new PredictionRecord(id, model, version, ts, latency, shadow, inputs, outputs);
        }
    }

    private sealed class GroundTruthFormatter : IMessagePackFormatter<GroundTruthRecord>
    {
        public void Serialize(ref MessagePackWriter writer, GroundTruthRecord value, MessagePackSerializerOptions options)
        {
            writer.WriteArrayHeader(3);
            writer.Write(value.PredictionId.ToString("N"));
            writer.Write(value.Label);
            writer.Write(value.TimestampMs);
        }

        public GroundTruthRecord Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            Expect(reader.ReadArrayHeader() == 3);
            return new GroundTruthRecord(Guid.ParseExact(reader.ReadString() ?? string.Empty, "N"), reader.ReadDouble(), reader.ReadInt64());
        }
    }

    private static void Expect(bool ok)
    {
        if (!ok)
        {
            throw new MessagePackSerializationException("unexpected record layout");
        }
    }

    internal static InputSummary Summarise(string name, EdgeTensor tensor)
    {
        long count = 0, missing = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        void Add(double v)
        {
            if (double.IsNaN(v))
            {
                missing++;
                return;
            }

            count++;
            sum += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        switch (tensor.ElementType)
        {
            case EdgeElementType.Float: foreach (var v in tensor.AsSpan<float>()) { Add(v); } break;
            case EdgeElementType.Double: foreach (var v in tensor.AsSpan<double>()) { Add(v); } break;
            case EdgeElementType.Int64: foreach (var v in tensor.AsSpan<long>()) { Add(v); } break;
            case EdgeElementType.Int32: foreach (var v in tensor.AsSpan<int>()) { Add(v); } break;
            default: break;
        }

        return new InputSummary(name, tensor.Shape.ToArray(), count, missing, count == 0 ? 0 : min, count == 0 ? 0 : max, count == 0 ? 0 : sum / count);
    }

    internal static bool IsSmall(EdgeTensor t) => t.ElementCount <= 64 && ElementTypes.SizeOf(t.ElementType) > 0;
}
