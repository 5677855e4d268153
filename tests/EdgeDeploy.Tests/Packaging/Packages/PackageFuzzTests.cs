using System.IO.Compression;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Packaging.Packages;

/// <summary>Thousands of mutated packages: each must be refused with an EdgeException (or, rarely, still verify), never crash.</summary>
public sealed class PackageFuzzTests : IClassFixture<PackageFactory>
{
    private readonly PackageFactory _factory;

    public PackageFuzzTests(PackageFactory factory) => _factory = factory;

    [Fact]
    public void Verify_ThousandsOfMutatedPackages_OnlyEverThrowsEdgeException()
    {
        var valid = _factory.SignedIris();
        var entries = ZipEdit.Read(valid);
        var verifier = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options());
        var random = new Random(20261122);
        var codes = new Dictionary<EdgeErrorCode, int>();
        var accepted = 0;
        const int Iterations = 4000;

        for (var i = 0; i < Iterations; i++)
        {
            var mutant = Mutate(valid, entries, random, i);
            try
            {
                verifier.Verify(mutant);
                accepted++;
            }
            catch (EdgeException ex)
            {
                codes[ex.Code] = codes.GetValueOrDefault(ex.Code) + 1;
            }
            catch (Exception ex)
            {
                Assert.Fail($"mutation {i} ({i % 6}) escaped as {ex.GetType().Name}: {ex.Message}");
            }
        }

        Assert.Equal(Iterations, accepted + codes.Values.Sum());
        Assert.True(accepted < Iterations / 20, $"{accepted} mutants verified");
        Assert.True(codes.Count >= 5, "mutations should reach several checks: " + string.Join(", ", codes.Select(kv => $"{kv.Key}={kv.Value}")));
    }

    [Fact]
    public void ReadTestSets_MutatedMessagePack_OnlyEverThrowsTestSetMalformed()
    {
        var bytes = TestSetCodec.Write(new[]
        {
            new EndToEndCase(
                new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create(new[] { 1f, 2f }, [1, 2]), ["s"] = EdgeTensor.Create(["a"], [1]) },
                new Dictionary<string, EdgeTensor> { ["y"] = EdgeTensor.Create(new[] { 3L }, [1]) }),
        });
        var random = new Random(7);

        for (var i = 0; i < 3000; i++)
        {
            var mutant = (byte[])bytes.Clone();
            for (var k = 0; k < 1 + (i % 4); k++)
            {
                mutant[random.Next(mutant.Length)] = (byte)random.Next(256);
            }

            mutant = i % 5 == 0 ? mutant[..random.Next(mutant.Length)] : mutant;
            try
            {
                TestSetCodec.Read<EndToEndCase>(mutant, "fuzz");
            }
            catch (EdgeException ex) when (ex.Code is EdgeErrorCode.TestSetMalformed or EdgeErrorCode.TensorDataMismatch or EdgeErrorCode.InvalidArgument)
            {
            }
        }
    }

    private static byte[] Mutate(byte[] valid, Dictionary<string, byte[]> entries, Random random, int i)
    {
        switch (i % 6)
        {
            case 0: // flip bytes anywhere in the archive
                var flipped = (byte[])valid.Clone();
                for (var k = 0; k < 1 + random.Next(8); k++)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            case 1: // truncate
                return valid[..random.Next(valid.Length)];
            case 2: // insert or delete a run of bytes
                var at = random.Next(valid.Length);
                var run = random.Next(1, 64);
                return random.Next(2) == 0
                    ? [.. valid[..at], .. Enumerable.Range(0, run).Select(_ => (byte)random.Next(256)), .. valid[at..]]
                    : [.. valid[..at], .. valid[Math.Min(valid.Length, at + run)..]];
            case 3: // mutate the decompressed content of one entry, re-zipped cleanly
                var name = entries.Keys.ElementAt(random.Next(entries.Count));
                return ZipEdit.Replace(valid, name, b =>
                {
                    var copy = (byte[])b.Clone();
                    if (copy.Length > 0)
                    {
                        copy[random.Next(copy.Length)] = (byte)random.Next(256);
                    }

                    return copy;
                });
            case 4: // lie about an entry's size in the zip directory
                var target = entries.Keys.ElementAt(random.Next(entries.Count));
                return ZipEdit.LieAboutSize(valid, target, (uint)random.Next());
            default: // random entry set: drop, duplicate or rename
                var list = entries.Select(kv => (kv.Key, kv.Value)).ToList();
                var index = random.Next(list.Count);
                switch (random.Next(3))
                {
                    case 0: list.RemoveAt(index); break;
                    case 1: list.Add(list[index]); break;
                    default: list[index] = (list[index].Key + (random.Next(2) == 0 ? "/x" : ".bak"), list[index].Value); break;
                }

                return ZipEdit.Write(list);
        }
    }

    [Fact]
    public void ZipEdit_Write_ProducesReadableArchives()
    {
        using var zip = new ZipArchive(new MemoryStream(ZipEdit.Write([("a", [1, 2])])), ZipArchiveMode.Read);
        Assert.Equal("a", Assert.Single(zip.Entries).FullName);
    }
}
