using System.Text;

namespace EdgeDeploy.Runtime.Tensors;

internal static class Shapes
{
    /// <summary>Element count of a concrete shape; -1 when a dimension is negative or the product overflows.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                return -1;
            }

            try
            {
                count = checked(count * dim);
            }
            catch (OverflowException)
            {
                return -1;
            }
        }

        return count;
    }

    public static string Format(ReadOnlySpan<long> shape, IReadOnlyList<string?>? names = null)
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            if (shape[i] >= 0)
            {
                sb.Append(shape[i]);
            }
            else
            {
                var name = names is not null && i < names.Count ? names[i] : null;
                sb.Append(string.IsNullOrEmpty(name) ? "?" : name);
            }
        }

        return sb.Append(']').ToString();
    }
}
