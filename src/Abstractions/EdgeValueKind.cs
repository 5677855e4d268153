namespace EdgeDeploy.Runtime;

/// <summary>What an ONNX value is: a tensor, a sequence, a map, or an optional value that is absent.</summary>
public enum EdgeValueKind
{
    /// <summary>An optional output that holds nothing (at run time only; a schema says so with <see cref="TensorSchema.IsOptional"/>).</summary>
    None = 0,

    /// <summary>A dense tensor (<see cref="EdgeValue.Tensor"/>).</summary>
    Tensor = 1,

    /// <summary>An ordered sequence of values (<see cref="EdgeValue.Items"/>), e.g. <c>seq(tensor(float))</c> or a ZipMap's <c>seq(map(int64, float))</c>.</summary>
    Sequence = 2,

    /// <summary>A map from int64 or string keys to values (<see cref="EdgeValue.Keys"/> and <see cref="EdgeValue.MapValues"/>).</summary>
    Map = 3,
}
