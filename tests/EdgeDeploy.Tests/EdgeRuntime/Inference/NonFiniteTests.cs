using System.Runtime.InteropServices;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Inference;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

public sealed class NonFiniteTests
{
    public static TheoryData<int, int> Positions()
    {
        // Lengths around the vector width and the four-vector block, positions in the first block, a later block, the
        // single-vector tail and the scalar tail.
        var data = new TheoryData<int, int>();
        foreach (var length in new[] { 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 4099 })
        {
            foreach (var position in new[] { 0, length / 2, length - 1 }.Distinct())
            {
                data.Add(length, position);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Positions))]
    public void IndexOfFirst_OneNonFiniteValue_FindsItsIndex(int length, int position)
    {
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var floats = Enumerable.Range(0, length).Select(i => i % 2 == 0 ? -0.0f : i * 1e30f).ToArray();
            floats[position] = bad;
            Assert.Equal(position, NonFinite.IndexOfFirst(EdgeElementType.Float, MemoryMarshal.AsBytes(floats.AsSpan())));

            var doubles = floats.Select(f => (double)f).ToArray();
            Assert.Equal(position, NonFinite.IndexOfFirst(EdgeElementType.Double, MemoryMarshal.AsBytes(doubles.AsSpan())));
        }
    }

    [Fact]
    public void IndexOfFirst_FiniteExtremes_FindsNothing()
    {
        float[] floats = [float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 0f, -0f, 1e-40f, .. Enumerable.Repeat(float.MaxValue, 100)];
        Assert.Equal(-1, NonFinite.IndexOfFirst(EdgeElementType.Float, MemoryMarshal.AsBytes(floats.AsSpan())));
    }
}
