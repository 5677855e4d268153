using System.Buffers;
using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Tensors;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// MessagePack encoding of test sets with hand-written formatters and a composite resolver: no dynamic resolver is ever
/// touched, so it runs under native AOT. Layout: <c>[version, [case...]]</c>; a tensor is
/// <c>[elementType, [dims...], bin | [strings...]]</c> with numeric data little-endian. An end-to-end case is
/// <c>[inputs, expected]</c>, or <c>[inputs, expected, values]</c> when it expects outputs that are not tensors; a value is
/// <c>[0]</c> (none), <c>[1, tensor]</c>, <c>[2, [value...]]</c> (sequence) or <c>[3, keys, values]</c> (map).
/// </summary>
internal static class TestSetCodec
{
    private const int FormatVersion = 1;
    private const int MaxValueDepth = 8;

    public static readonly IFormatterResolver Resolver = CompositeResolver.Create(
        [new TensorFormatter(), new TensorMapFormatter(), new EndToEndCaseFormatter(), new ConfidenceCaseFormatter()],
        [BuiltinResolver.Instance]);

    // Constructed directly so MessagePackSerializerOptions.Standard (and with it the dynamic resolvers) is never initialised.
    public static readonly MessagePackSerializerOptions Options = new MessagePackSerializerOptions(Resolver).WithSecurity(MessagePackSecurity.UntrustedData);

    public static byte[] Write<T>(IReadOnlyList<T> cases)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        var formatter = Resolver.GetFormatterWithVerify<T>();
        writer.WriteArrayHeader(2);
        writer.Write(FormatVersion);
        writer.WriteArrayHeader(cases.Count);
        foreach (var c in cases)
        {
            formatter.Serialize(ref writer, c, Options);
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static List<T> Read<T>(ReadOnlyMemory<byte> bytes, string what)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            var formatter = Resolver.GetFormatterWithVerify<T>();
            Expect(reader.ReadArrayHeader() == 2, "header");
            var version = reader.ReadInt32();
            Expect(version == FormatVersion, $"format version {version}");
            var count = reader.ReadArrayHeader();
            var cases = new List<T>(Math.Min(count, 4096));
            for (var i = 0; i < count; i++)
            {
                cases.Add(formatter.Deserialize(ref reader, Options));
            }

            Expect(reader.End, "trailing bytes");
            return cases;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException or ArgumentException or FormatException)
        {
            throw new EdgeException(EdgeErrorCode.TestSetMalformed, $"{what} is not a valid test set: {ex.Message}", ex);
        }
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new MessagePackSerializationException($"unexpected {what}");
        }
    }

    private sealed class TensorFormatter : IMessagePackFormatter<EdgeTensor>
    {
        public void Serialize(ref MessagePackWriter writer, EdgeTensor value, MessagePackSerializerOptions options)
        {
            writer.WriteArrayHeader(3);
            writer.Write((int)value.ElementType);
            writer.WriteArrayHeader(value.Rank);
            foreach (var dim in value.Shape)
            {
                writer.Write(dim);
            }

            if (value.ElementType == EdgeElementType.String)
            {
                var strings = value.AsSpan<string>();
                writer.WriteArrayHeader(strings.Length);
                foreach (var s in strings)
                {
                    writer.Write(s);
                }
            }
            else
            {
                writer.Write(value.AsBytes());
            }
        }

        public EdgeTensor Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            Expect(reader.ReadArrayHeader() == 3, "tensor header");
            var type = (EdgeElementType)reader.ReadInt32();
            var rank = reader.ReadArrayHeader();
            Expect(rank <= 16, "tensor rank");
            var shape = new long[rank];
            for (var i = 0; i < rank; i++)
            {
                shape[i] = reader.ReadInt64();
            }

            var count = Shapes.ElementCount(shape);
            Expect(count >= 0 && count <= int.MaxValue, "tensor size");
            if (type == EdgeElementType.String)
            {
                var n = reader.ReadArrayHeader();
                Expect(n == count, "string count");
                var strings = new string[n];
                for (var i = 0; i < n; i++)
                {
                    strings[i] = reader.ReadString() ?? throw new MessagePackSerializationException("null string element");
                }

                return EdgeTensor.Create(strings, shape);
            }

            var size = ElementTypes.SizeOf(type);
            Expect(size > 0, $"element type {(int)type}");
            var bytes = reader.ReadBytes() ?? throw new MessagePackSerializationException("missing tensor data");
            Expect(bytes.Length == count * size, "tensor data length");
            var array = ElementTypes.NewArray(type, (int)count, "test set");
            bytes.CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), (int)bytes.Length));
            return EdgeTensor.Wrap(array, shape, type);
        }
    }

    private sealed class TensorMapFormatter : IMessagePackFormatter<IReadOnlyDictionary<string, EdgeTensor>>
    {
        public void Serialize(ref MessagePackWriter writer, IReadOnlyDictionary<string, EdgeTensor> value, MessagePackSerializerOptions options)
        {
            var tensor = options.Resolver.GetFormatterWithVerify<EdgeTensor>();
            writer.WriteMapHeader(value.Count);
            foreach (var (name, t) in value.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                writer.Write(name);
                tensor.Serialize(ref writer, t, options);
            }
        }

        public IReadOnlyDictionary<string, EdgeTensor> Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var tensor = options.Resolver.GetFormatterWithVerify<EdgeTensor>();
            var count = reader.ReadMapHeader();
            var map = new Dictionary<string, EdgeTensor>(Math.Min(count, 256), StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString() ?? throw new MessagePackSerializationException("null tensor name");
                Expect(map.TryAdd(name, tensor.Deserialize(ref reader, options)), $"duplicate tensor '{name}'");
            }

            return map;
        }
    }

    private sealed class EndToEndCaseFormatter : IMessagePackFormatter<EndToEndCase>
    {
        public void Serialize(ref MessagePackWriter writer, EndToEndCase value, MessagePackSerializerOptions options)
        {
            var map = options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>();
            var hasValues = value.ExpectedValues.Count > 0;
            writer.WriteArrayHeader(hasValues ? 3 : 2);
            map.Serialize(ref writer, value.Inputs, options);
            map.Serialize(ref writer, value.ExpectedOutputs, options);
            if (hasValues)
            {
                var tensor = options.Resolver.GetFormatterWithVerify<EdgeTensor>();
                writer.WriteMapHeader(value.ExpectedValues.Count);
                foreach (var (name, v) in value.ExpectedValues.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    writer.Write(name);
                    WriteValue(ref writer, v, tensor, options);
                }
            }
        }

        public EndToEndCase Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var map = options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>();
            var length = reader.ReadArrayHeader();
            Expect(length is 2 or 3, "end-to-end case header");
            var c = new EndToEndCase(map.Deserialize(ref reader, options), map.Deserialize(ref reader, options));
            if (length == 2)
            {
                return c;
            }

            var tensor = options.Resolver.GetFormatterWithVerify<EdgeTensor>();
            var count = reader.ReadMapHeader();
            var values = new Dictionary<string, EdgeValue>(Math.Min(count, 256), StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString() ?? throw new MessagePackSerializationException("null output name");
                Expect(values.TryAdd(name, ReadValue(ref reader, tensor, options, 0)), $"duplicate output '{name}'");
            }

            return c with { ExpectedValues = values };
        }

        private static void WriteValue(ref MessagePackWriter writer, EdgeValue value, IMessagePackFormatter<EdgeTensor> tensor, MessagePackSerializerOptions options)
        {
            switch (value.Kind)
            {
                case EdgeValueKind.Tensor:
                    writer.WriteArrayHeader(2);
                    writer.Write((int)EdgeValueKind.Tensor);
                    tensor.Serialize(ref writer, value.Tensor, options);
                    break;
                case EdgeValueKind.Sequence:
                    writer.WriteArrayHeader(2);
                    writer.Write((int)EdgeValueKind.Sequence);
                    writer.WriteArrayHeader(value.Count);
                    foreach (var item in value.Items)
                    {
                        WriteValue(ref writer, item, tensor, options);
                    }

                    break;
                case EdgeValueKind.Map:
                    writer.WriteArrayHeader(3);
                    writer.Write((int)EdgeValueKind.Map);
                    tensor.Serialize(ref writer, value.Keys, options);
                    tensor.Serialize(ref writer, value.MapValues, options);
                    break;
                default:
                    writer.WriteArrayHeader(1);
                    writer.Write((int)EdgeValueKind.None);
                    break;
            }
        }

        private static EdgeValue ReadValue(ref MessagePackReader reader, IMessagePackFormatter<EdgeTensor> tensor, MessagePackSerializerOptions options, int depth)
        {
            Expect(depth < MaxValueDepth, "value nesting");
            var length = reader.ReadArrayHeader();
            Expect(length >= 1, "value header");
            var kind = (EdgeValueKind)reader.ReadInt32();
            switch (kind)
            {
                case EdgeValueKind.None:
                    Expect(length == 1, "none value");
                    return EdgeValue.None;
                case EdgeValueKind.Tensor:
                    Expect(length == 2, "tensor value");
                    return EdgeValue.FromTensor(tensor.Deserialize(ref reader, options));
                case EdgeValueKind.Sequence:
                    Expect(length == 2, "sequence value");
                    var count = reader.ReadArrayHeader();
                    var items = new List<EdgeValue>(Math.Min(count, 4096));
                    for (var i = 0; i < count; i++)
                    {
                        items.Add(ReadValue(ref reader, tensor, options, depth + 1));
                    }

                    return EdgeValue.Sequence(items);
                case EdgeValueKind.Map:
                    Expect(length == 3, "map value");
                    var keys = tensor.Deserialize(ref reader, options);
                    var values = tensor.Deserialize(ref reader, options);
                    try
                    {
                        return EdgeValue.Map(keys, values);
                    }
                    catch (EdgeException ex)
                    {
                        throw new MessagePackSerializationException(ex.Message, ex);
                    }

                default:
                    throw new MessagePackSerializationException($"unknown value kind {(int)kind}");
            }
        }
    }

    private sealed class ConfidenceCaseFormatter : IMessagePackFormatter<ConfidenceCase>
    {
        public void Serialize(ref MessagePackWriter writer, ConfidenceCase value, MessagePackSerializerOptions options)
        {
            // Two elements as before unless the case carries structured truth: older sets stay byte-identical.
            var map = options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>();
            writer.WriteArrayHeader(value.Truth is null ? 2 : 3);
            map.Serialize(ref writer, value.Inputs, options);
            writer.Write(value.Label);
            if (value.Truth is not null)
            {
                map.Serialize(ref writer, value.Truth, options);
            }
        }

        public ConfidenceCase Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var map = options.Resolver.GetFormatterWithVerify<IReadOnlyDictionary<string, EdgeTensor>>();
            var length = reader.ReadArrayHeader();
            Expect(length is 2 or 3, "confidence case header");
            var inputs = map.Deserialize(ref reader, options);
            var label = reader.ReadDouble();
            return new ConfidenceCase(inputs, label) { Truth = length == 3 ? map.Deserialize(ref reader, options) : null };
        }
    }
}
