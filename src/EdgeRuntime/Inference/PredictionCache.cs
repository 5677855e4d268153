using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>LRU cache of predictions keyed by the exact input bytes (names, types, shapes and data).</summary>
internal sealed class PredictionCache
{
    private readonly int _capacity;
    private readonly Dictionary<Key, LinkedListNode<(Key Key, Prediction Value)>> _map;
    private readonly LinkedList<(Key Key, Prediction Value)> _order = new();
    private readonly Lock _lock = new();
    private long _hits;
    private long _misses;

    public PredictionCache(int capacity)
    {
        _capacity = capacity;
        _map = new Dictionary<Key, LinkedListNode<(Key, Prediction)>>(capacity);
    }

    public PredictionCacheStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new PredictionCacheStatistics(Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), _map.Count, _capacity);
            }
        }
    }

    public static Key CreateKey(ModelSchema schema, IReadOnlyDictionary<string, EdgeTensor> inputs)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        foreach (var input in schema.Inputs)
        {
            var tensor = inputs[input.Name];
            WriteInt(writer, (int)tensor.ElementType);
            WriteInt(writer, tensor.Rank);
            foreach (var dim in tensor.Shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), dim);
                writer.Advance(8);
            }

            if (tensor.ElementType == EdgeElementType.String)
            {
                foreach (var s in tensor.AsSpan<string>())
                {
                    WriteInt(writer, s.Length);
                    writer.Write(MemoryMarshal.AsBytes(s.AsSpan()));
                }
            }
            else
            {
                writer.Write(tensor.AsBytes());
            }
        }

        var bytes = writer.WrittenSpan.ToArray();
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return new Key(bytes, hash.ToHashCode());
    }

    public bool TryGet(Key key, out Prediction prediction)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                prediction = node.Value.Value;
                _hits++;
                return true;
            }

            _misses++;
        }

        prediction = null!;
        return false;
    }

    public void Add(Key key, Prediction prediction)
    {
        lock (_lock)
        {
            if (_map.ContainsKey(key))
            {
                return;
            }

            if (_map.Count >= _capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
            }

            _map[key] = _order.AddFirst((key, prediction));
        }
    }

    private static void WriteInt(ArrayBufferWriter<byte> writer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    internal readonly struct Key : IEquatable<Key>
    {
        private readonly byte[] _bytes;
        private readonly int _hash;

        public Key(byte[] bytes, int hash)
        {
            _bytes = bytes;
            _hash = hash;
        }

        public bool Equals(Key other) => _hash == other._hash && _bytes.AsSpan().SequenceEqual(other._bytes);

        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
