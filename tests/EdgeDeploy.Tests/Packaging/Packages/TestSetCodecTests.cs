using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Tests.Packaging.Packages;

public sealed class TestSetCodecTests
{
    [Fact]
    public void WriteThenRead_EveryElementType_RoundTripsExactly()
    {
        var inputs = new Dictionary<string, EdgeTensor>
        {
            ["f"] = EdgeTensor.Create(new[] { 1.5f, float.NaN }, [2]),
            ["d"] = EdgeTensor.Create(new[] { Math.PI }, [1, 1]),
            ["h"] = EdgeTensor.Create(new[] { (Half)0.5 }, [1]),
            ["i8"] = EdgeTensor.Create(new sbyte[] { -5 }, [1]),
            ["u64"] = EdgeTensor.Create(new[] { ulong.MaxValue }, [1]),
            ["b"] = EdgeTensor.Create(new[] { true, false }, [2]),
            ["s"] = EdgeTensor.Create(["héllo", ""], [2]),
            ["scalar"] = EdgeTensor.Create(new[] { 16000L }, []),
        };
        var cases = new[] { new ConfidenceCase(inputs, 2.0), new ConfidenceCase(inputs, -1.25) };

        var read = TestSetCodec.Read<ConfidenceCase>(TestSetCodec.Write(cases), "test");

        Assert.Equal([2.0, -1.25], read.Select(c => c.Label));
        foreach (var (name, tensor) in inputs)
        {
            var back = read[1].Inputs[name];
            Assert.Equal(tensor.ElementType, back.ElementType);
            Assert.Equal(tensor.Shape.ToArray(), back.Shape.ToArray());
        }

        Assert.True(float.IsNaN(read[0].Inputs["f"].AsSpan<float>()[1]));
        Assert.Equal(ulong.MaxValue, read[0].Inputs["u64"].AsSpan<ulong>()[0]);
        Assert.Equal(["héllo", ""], read[0].Inputs["s"].ToArray<string>());
        Assert.Equal([true, false], read[0].Inputs["b"].ToArray<bool>());
    }

    [Fact]
    public void Read_Garbage_ThrowsTestSetMalformed()
    {
        var ex = Assert.Throws<EdgeException>(() => TestSetCodec.Read<EndToEndCase>(new byte[] { 0x92, 0x01, 0xc1 }, "e2e"));

        Assert.Equal(EdgeErrorCode.TestSetMalformed, ex.Code);
        Assert.StartsWith("e2e is not a valid test set:", ex.Message);
    }

    [Fact]
    public void Read_TensorLengthDisagreesWithShape_ThrowsTestSetMalformed()
    {
        // [1, [[{"x": [1, [3], bin(4 bytes)]}, {}]]]: shape says 3 floats, data holds 1.
        byte[] bytes = [0x92, 0x01, 0x91, 0x92, 0x81, 0xa1, (byte)'x', 0x93, 0x01, 0x91, 0x03, 0xc4, 0x04, 0, 0, 0x80, 0x3f, 0x80];

        var ex = Assert.Throws<EdgeException>(() => TestSetCodec.Read<EndToEndCase>(bytes, "e2e"));

        Assert.Equal(EdgeErrorCode.TestSetMalformed, ex.Code);
        Assert.Contains("tensor data length", ex.Message);
    }
}
