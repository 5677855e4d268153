using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// Tells which model-card slices one prediction's input row falls in, as a mask: bit i stands for the card's i-th slice
/// (slices without a predicate never match). The server names the bits from the same manifest, so the mask is all a
/// prediction record needs to carry for per-slice monitoring.
/// </summary>
internal sealed class SliceMatcher
{
    /// <summary>Slices a card may have: one bit each in a 64-bit mask.</summary>
    public const int MaxSlices = 64;

    private readonly string? _tabularInput;
    private readonly int _columns;
    private readonly (int Bit, Bound[] Conditions)[] _slices;

    public SliceMatcher(PackageManifest manifest)
    {
        var features = manifest.Features.Select(f => f.Name).ToList();
        _slices = [.. manifest.ModelCard.Slices
            .Take(MaxSlices)
            .Select((s, bit) => (bit, s.Where))
            .Where(s => s.Where is { Count: > 0 })
            .Select(s => (s.bit, s.Where!.Select(c => new Bound(c.Feature, features.IndexOf(c.Feature), c.Min ?? double.NegativeInfinity, c.Max ?? double.PositiveInfinity)).ToArray()))];

        // The tabular layout the packer assumes: one [batch, F] input whose column i is feature i.
        if (manifest.Schema.Inputs.Count == 1 && manifest.Schema.Inputs[0].Shape.Count == 2 && features.Count > 0)
        {
            _tabularInput = manifest.Schema.Inputs[0].Name;
            _columns = features.Count;
        }
    }

    /// <summary>
    /// The slices a single-row input falls in. A batch of several rows, or an input without a feature's value, matches
    /// nothing: a record has one mask, and guessing would mix rows from different slices. NaN fails every bound.
    /// </summary>
    public ulong Match(IReadOnlyDictionary<string, EdgeTensor> inputs)
    {
        if (_slices.Length == 0)
        {
            return 0;
        }

        EdgeTensor? row = null;
        if (_tabularInput is not null && inputs.TryGetValue(_tabularInput, out var table))
        {
            if (table.Rank != 2 || table.Shape[0] != 1 || table.Shape[1] != _columns)
            {
                return 0;
            }

            row = table;
        }

        ulong mask = 0;
        foreach (var (bit, conditions) in _slices)
        {
            var all = true;
            foreach (var c in conditions)
            {
                var value = row is not null ? row.ValueAt(c.Column) : inputs.TryGetValue(c.Feature, out var single) && single.ElementCount == 1 ? single.ValueAt(0) : double.NaN;
                if (!(value >= c.Min && value < c.Max))
                {
                    all = false;
                    break;
                }
            }

            mask |= all ? 1UL << bit : 0;
        }

        return mask;
    }

    private readonly record struct Bound(string Feature, int Column, double Min, double Max);
}
