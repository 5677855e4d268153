using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Native;

/// <summary>A tensor as C callers pass it (see include/edgeruntime.h; the layouts must match).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeTensor
{
    public const int MaxRank = 8;

    public byte* Name;
    public int ElementType;
    public int Rank;
    public fixed long Shape[MaxRank];
    public void* Data;
    public nuint DataBytes;
}
