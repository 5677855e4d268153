using System.Diagnostics;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

/// <summary>Issue 11, unbounded inputs: installing a huge or junk file is refused without reading it whole.</summary>
public sealed class StoreInstallLimitsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(3L << 30, EdgeErrorCode.PayloadTooLarge)] // over the verifier's 2 GiB limit: refused from the file's length
    [InlineData(1_900_000_000L, EdgeErrorCode.PackageMalformed)] // under it, but no zip: refused from its last bytes
    public void Install_SparseHugeJunkFile_IsRefusedQuicklyWithoutReadingItWhole(long length, EdgeErrorCode expected)
    {
        var junk = _temp.File("junk.edgepkg");
        using (var f = File.Create(junk))
        {
            f.SetLength(length); // sparse: costs no disk
        }

        using var store = ModelStore.Open(new ModelStoreOptions
        {
            Directory = _temp.File("store"),
            Trust = SampleTrust.Create(_temp.File("trust")),
            ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
        });
        using var process = Process.GetCurrentProcess();
        var before = process.WorkingSet64;
        var clock = Stopwatch.StartNew();

        var ex = Assert.Throws<EdgeException>(() => store.Install(junk));

        clock.Stop();
        process.Refresh();
        Assert.Equal(expected, ex.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.True(process.WorkingSet64 - before < 200L << 20, $"working set grew by {(process.WorkingSet64 - before) >> 20} MiB");
        Assert.Null(store.ActiveVersion);
        Assert.Empty(Directory.GetFiles(_temp.File("store"), "*", SearchOption.AllDirectories));
    }
}
