using EdgeDeploy.Runtime;

namespace EdgeDeploy.Tests.Abstractions;

public sealed class EdgeTensorTests
{
    public static TheoryData<EdgeTensor> EveryNumericType() =>
    [
        EdgeTensor.Create([0f, 2.5f]),
        EdgeTensor.Create([0d, 2.5d]),
        EdgeTensor.Create([(Half)0, (Half)2.5f]),
        EdgeTensor.CreateBFloat16([0, ElementTypesBits(2.5f)], [2]),
        EdgeTensor.Create([0L, -7L]),
        EdgeTensor.Create([0, -7]),
        EdgeTensor.Create(new short[] { 0, -7 }),
        EdgeTensor.Create(new sbyte[] { 0, -7 }),
        EdgeTensor.Create(new ulong[] { 0, 7 }),
        EdgeTensor.Create(new uint[] { 0, 7 }),
        EdgeTensor.Create(new ushort[] { 0, 7 }),
        EdgeTensor.Create(new byte[] { 0, 7 }),
    ];

    [Theory]
    [MemberData(nameof(EveryNumericType))]
    public void ValueAt_EveryNumericType_ReadsTheElementAsDouble(EdgeTensor tensor)
    {
        var expected = tensor.ElementType switch
        {
            EdgeElementType.Float or EdgeElementType.Double or EdgeElementType.Float16 or EdgeElementType.BFloat16 => 2.5,
            EdgeElementType.UInt64 or EdgeElementType.UInt32 or EdgeElementType.UInt16 or EdgeElementType.UInt8 => 7.0,
            _ => -7.0,
        };

        Assert.Equal((0.0, expected), (tensor.ValueAt(0), tensor.ValueAt(1)));
    }

    [Fact]
    public void ValueAt_OutsideTheTensorOrNotANumber_IsNaN()
    {
        var floats = EdgeTensor.Create([1f, 2f], [1, 2]);

        Assert.True(double.IsNaN(floats.ValueAt(-1)));
        Assert.True(double.IsNaN(floats.ValueAt(2)));
        Assert.True(double.IsNaN(EdgeTensor.Create(["1.5"], [1]).ValueAt(0)));
        Assert.True(double.IsNaN(EdgeTensor.Create([true]).ValueAt(0)));
    }

    // bfloat16 keeps a float's upper 16 bits; 2.5 is exact in it.
    private static ushort ElementTypesBits(float value) => (ushort)(BitConverter.SingleToInt32Bits(value) >>> 16);
}
