using System.Buffers;
using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Tensors;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace EdgeDeploy.Runtime.Telemetry;

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
    internal static PredictionRecord DecodePrediction(ReadOnlyMemory<byte> bytes) => Read<PredictionRecord>(bytes);

    /// <summary>
    /// Reads a prediction record's summary, skipping input names and output tensors it does not need: the hot path of a
    /// server ingesting many records. The prediction comes from <paramref name="labelOutput"/> when the record has it,
    /// else the first numeric output: an integer label, a single float value, or the argmax of float scores.
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the bytes are not a prediction record.</exception>
    public static PredictionSummary ReadPredictionSummary(ReadOnlyMemory<byte> bytes, string? labelOutput)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            var fields = reader.ReadArrayHeader();
            Expect(fields is >= 8 and <= 11);
            var id = ParseId(ref reader);
            var model = reader.ReadString() ?? string.Empty;
            var version = reader.ReadString() ?? string.Empty;
            var ts = reader.ReadInt64();
            var latency = reader.ReadDouble();
            var shadow = reader.ReadBoolean();
            long values = 0, missing = 0;
            var inputs = reader.ReadArrayHeader();
            for (var i = 0; i < inputs; i++)
            {
                Expect(reader.ReadArrayHeader() == 7);
                reader.Skip(); // name
                reader.Skip(); // shape
                values += reader.ReadInt64();
                missing += reader.ReadInt64();
                reader.Skip(); // min
                reader.Skip(); // max
                reader.Skip(); // mean
            }

            var predicted = double.NaN;
            var preferredFound = false;
            var outputs = reader.ReadMapHeader();
            for (var o = 0; o < outputs; o++)
            {
                var name = reader.ReadString();
                var preferred = labelOutput is not null && name == labelOutput;
                if (preferredFound || (!preferred && !double.IsNaN(predicted)))
                {
                    reader.Skip();
                    continue;
                }

                var value = ReadPredicted(ref reader);
                if (preferred || double.IsNaN(predicted))
                {
                    predicted = value;
                    preferredFound = preferred;
                }
            }

            var slices = fields >= 9 ? reader.ReadUInt64() : 0;
            return new PredictionSummary(id, model, version, ts, latency, shadow, values, missing, predicted, slices);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException or FormatException)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Not a valid {nameof(PredictionRecord)}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The encoded raw inputs of a prediction record (its 10th field, a map of input name to tensor), without decoding
    /// them; empty when the record carries none. The server stores these bytes as they are and decodes them with
    /// <see cref="DecodeTensors"/> when it exports them.
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the bytes are not a prediction record.</exception>
    public static ReadOnlyMemory<byte> ReadRawInputs(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return ReadField(bytes, 9);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Not a valid {nameof(PredictionRecord)}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The encoded evidence of a prediction record (its 11th field, <see cref="PredictionRecord.Evidence"/>), without
    /// decoding it; empty when the record carries none. Decode it with <see cref="DecodeTensors"/>.
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the bytes are not a prediction record.</exception>
    public static ReadOnlyMemory<byte> ReadEvidence(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return ReadField(bytes, 10);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Not a valid {nameof(PredictionRecord)}: {ex.Message}", ex);
        }
    }

    /// <summary>The bytes of an optional trailing field (0-based) of a prediction record; empty when absent or nil.</summary>
    private static ReadOnlyMemory<byte> ReadField(ReadOnlyMemory<byte> bytes, int index)
    {
        var reader = new MessagePackReader(bytes);
        var fields = reader.ReadArrayHeader();
        Expect(fields is >= 8 and <= 11);
        if (fields <= index)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        for (var i = 0; i < index; i++)
        {
            reader.Skip();
        }

        if (reader.TryReadNil())
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var start = (int)reader.Consumed;
        reader.Skip();
        return bytes.Slice(start, (int)reader.Consumed - start);
    }

    /// <summary>Decodes raw inputs as <see cref="ReadRawInputs"/> returns them: input name to tensor.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the bytes are not such a map.</exception>
    public static IReadOnlyDictionary<string, EdgeTensor> DecodeTensors(ReadOnlyMemory<byte> bytes) => Read<IReadOnlyDictionary<string, EdgeTensor>>(bytes);

    private static Guid ParseId(ref MessagePackReader reader)
    {
        var text = reader.ReadStringSequence() ?? throw new MessagePackSerializationException("missing prediction id");
        Span<byte> utf8 = stackalloc byte[32];
        if (text.Length != 32)
        {
            throw new MessagePackSerializationException("the prediction id is not 32 hex digits");
        }

        text.CopyTo(utf8);
        return System.Buffers.Text.Utf8Parser.TryParse(utf8, out Guid id, out var consumed, 'N') && consumed == 32
            ? id
            : throw new MessagePackSerializationException("the prediction id is not 32 hex digits");
    }

    /// <summary>Reads one tensor ([type, shape, bytes]) down to its predicted class or value, or NaN.</summary>
    private static double ReadPredicted(ref MessagePackReader reader)
    {
        Expect(reader.ReadArrayHeader() == 3);
        var type = (EdgeElementType)reader.ReadInt32();
        reader.Skip(); // shape
        if (type == EdgeElementType.String)
        {
            reader.Skip();
            return double.NaN;
        }

        var data = reader.ReadBytes() ?? throw new MessagePackSerializationException("missing tensor data");
        Span<byte> first = stackalloc byte[8];
        switch (type)
        {
            case EdgeElementType.Int64 when data.Length >= 8:
                data.Slice(0, 8).CopyTo(first);
                return System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(first);
            case EdgeElementType.Int32 when data.Length >= 4:
                data.Slice(0, 4).CopyTo(first);
                return System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(first);
            case EdgeElementType.Double when data.Length == 8:
                data.CopyTo(first);
                return System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(first);
            case EdgeElementType.Float when data.Length == 4:
                data.CopyTo(first);
                return System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(first);
            case EdgeElementType.Float when data.Length > 4:
                var scores = data.Length <= 4096 ? stackalloc byte[(int)data.Length] : new byte[data.Length];
                data.CopyTo(scores);
                var floats = MemoryMarshal.Cast<byte, float>(scores);
                var best = 0;
                for (var i = 1; i < floats.Length; i++)
                {
                    best = floats[i] > floats[best] ? i : best;
                }

                return best;
            default:
                return double.NaN;
        }
    }

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
            // 9 fields unless raw inputs or evidence were recorded: the layout older servers read.
            writer.WriteArrayHeader(value.Evidence is not null ? 11 : value.RawInputs is not null ? 10 : 9);
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
            writer.Write(value.Slices);
            var tensors = options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>();
            if (value.RawInputs is not null)
            {
                tensors.Serialize(ref writer, value.RawInputs, options);
            }
            else if (value.Evidence is not null)
            {
                writer.WriteNil();
            }

            if (value.Evidence is not null)
            {
                tensors.Serialize(ref writer, value.Evidence, options);
            }
        }

        public PredictionRecord Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var summary = options.Resolver.GetFormatterWithVerify<InputSummary>();
            var fields = reader.ReadArrayHeader();
            Expect(fields is >= 8 and <= 11); // 8: written before slice masks existed; 10: with raw inputs; 11: with evidence
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
            var slices = fields >= 9 ? reader.ReadUInt64() : 0;
            var tensors = options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>();
            var raw = fields >= 10 && !reader.TryReadNil() ? tensors.Deserialize(ref reader, options) : null;
            var evidence = fields == 11 && !reader.TryReadNil() ? tensors.Deserialize(ref reader, options) : null;
            return new PredictionRecord(id, model, version, ts, latency, shadow, inputs, outputs, slices) { RawInputs = raw, Evidence = evidence };
        }
    }

    private sealed class GroundTruthFormatter : IMessagePackFormatter<GroundTruthRecord>
    {
        public void Serialize(ref MessagePackWriter writer, GroundTruthRecord value, MessagePackSerializerOptions options)
        {
            writer.WriteArrayHeader(value.Truth is null ? 3 : 4); // 3 fields for a plain label: the layout older servers read
            writer.Write(value.PredictionId.ToString("N"));
            writer.Write(value.Label);
            writer.Write(value.TimestampMs);
            if (value.Truth is not null)
            {
                options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>().Serialize(ref writer, value.Truth, options);
            }
        }

        public GroundTruthRecord Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var fields = reader.ReadArrayHeader();
            Expect(fields is 3 or 4);
            var id = Guid.ParseExact(reader.ReadString() ?? string.Empty, "N");
            var label = reader.ReadDouble();
            var ts = reader.ReadInt64();
            var truth = fields == 4 && !reader.TryReadNil() ? options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>().Deserialize(ref reader, options) : null;
            return new GroundTruthRecord(id, label, ts) { Truth = truth };
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
