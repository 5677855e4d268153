using System.Globalization;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Computes a <see cref="DriftReference"/> from training rows: quantile bins for numeric features, category frequencies
/// for the rest, and, when a model is given, the distribution of each output over the same rows.
/// </summary>
public static class DriftReferenceBuilder
{
    private const int RowsPerRun = 1024;

    /// <summary>Builds the reference. Empty cells, "NA", "NaN" and "null" count as missing.</summary>
    /// <param name="columns">Column (feature) names.</param>
    /// <param name="rows">Rows of cells, parallel to <paramref name="columns"/>.</param>
    /// <param name="model">
    /// Optional model with one float input of shape [batch, columns]; its outputs over the rows become output distributions.
    /// </param>
    /// <param name="bins">Quantile bins per numeric feature. Default 10.</param>
    public static DriftReference Compute(IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows, EdgeModel? model = null, int bins = 10)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0 || bins < 1)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "A drift reference needs at least one training row and one bin.");
        }

        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Count != columns.Count)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Training row {r + 1} has {rows[r].Count} cells; the header has {columns.Count}.");
            }
        }

        var features = new List<BinnedDistribution>();
        var numeric = new double[columns.Count][];
        for (var c = 0; c < columns.Count; c++)
        {
            var cells = rows.Select(r => r[c]).ToList();
            var missing = cells.Count(IsMissing);
            var present = cells.Where(v => !IsMissing(v)).ToList();
            var values = present.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
            var missingFraction = (double)missing / cells.Count;
            if (present.Count > 0 && values.All(double.IsFinite))
            {
                numeric[c] = cells.Select(v => IsMissing(v) ? double.NaN : double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
                features.Add(Numeric(columns[c], values, bins, missingFraction));
            }
            else
            {
                features.Add(Categorical(columns[c], present, missingFraction));
            }
        }

        var outputs = model is not null && Array.TrueForAll(numeric, n => n is not null) ? Outputs(model, numeric, rows.Count, bins) : [];
        return new DriftReference { SampleCount = rows.Count, Features = features, Outputs = outputs };
    }

    /// <summary>Quantile bin edges (deduplicated) and the fraction of <paramref name="values"/> in each bin.</summary>
    internal static BinnedDistribution Numeric(string name, IReadOnlyList<double> values, int bins, double missingFraction)
    {
        var sorted = values.Order().ToArray();
        var edges = new List<double>();
        for (var i = 0; i <= bins; i++)
        {
            var edge = sorted[(int)Math.Round((double)i / bins * (sorted.Length - 1), MidpointRounding.AwayFromZero)];
            if (edges.Count == 0 || edge > edges[^1])
            {
                edges.Add(edge);
            }
        }

        if (edges.Count == 1)
        {
            edges.Add(edges[0]); // a constant feature still gets one bin
        }

        var counts = new double[edges.Count - 1];
        foreach (var v in values)
        {
            counts[DriftBins.BinIndex(edges, v)]++;
        }

        return new BinnedDistribution
        {
            Name = name,
            Kind = FeatureKind.Numeric,
            BinEdges = edges,
            Fractions = [.. counts.Select(c => c / values.Count)],
            MissingFraction = missingFraction,
        };
    }

    private static BinnedDistribution Categorical(string name, IReadOnlyList<string> values, double missingFraction)
    {
        var groups = values.GroupBy(v => v, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        return new BinnedDistribution
        {
            Name = name,
            Kind = FeatureKind.Categorical,
            Categories = [.. groups.Select(g => g.Key)],
            Fractions = [.. groups.Select(g => values.Count == 0 ? 0 : (double)g.Count() / values.Count)],
            MissingFraction = missingFraction,
        };
    }

    private static List<BinnedDistribution> Outputs(EdgeModel model, double[][] columns, int rowCount, int bins)
    {
        var input = model.Schema.Inputs.Count == 1 ? model.Schema.Inputs[0] : null;
        if (input is null || input.ElementType != EdgeElementType.Float || input.Rank != 2 || (input.Shape[1] >= 0 && input.Shape[1] != columns.Length))
        {
            return [];
        }

        var collected = model.Schema.Outputs.ToDictionary(o => o.Name, _ => new List<string>());
        var numericOut = model.Schema.Outputs.ToDictionary(o => o.Name, _ => new List<double>());
        for (var start = 0; start < rowCount; start += RowsPerRun)
        {
            var count = Math.Min(RowsPerRun, rowCount - start);
            var data = new float[count * columns.Length];
            for (var r = 0; r < count; r++)
            {
                for (var c = 0; c < columns.Length; c++)
                {
                    data[(r * columns.Length) + c] = (float)columns[c][start + r];
                }
            }

            var prediction = model.Predict(input.Name, EdgeTensor.Create(data, [count, columns.Length]));
            for (var o = 0; o < prediction.Names.Count; o++)
            {
                // Sequences and maps (a ZipMap's probabilities) have no binned distribution; their tensor siblings do.
                if (prediction.Values[o].Kind == EdgeValueKind.Tensor)
                {
                    var name = prediction.Names[o];
                    Collect(prediction.Tensors[o], count, collected[name], numericOut[name]);
                }
            }
        }

        var result = new List<BinnedDistribution>();
        foreach (var output in model.Schema.Outputs)
        {
            if (numericOut[output.Name].Count > 0)
            {
                result.Add(Numeric(output.Name, numericOut[output.Name], bins, 0));
            }
            else if (collected[output.Name].Count > 0)
            {
                result.Add(Categorical(output.Name, collected[output.Name], 0));
            }
        }

        return result;
    }

    /// <summary>Integer outputs are categories; one float per row is numeric; several floats per row are scores, binned by argmax.</summary>
    private static void Collect(EdgeTensor tensor, int rows, List<string> categories, List<double> numbers)
    {
        if (rows == 0 || tensor.ElementCount % rows != 0)
        {
            return;
        }

        var perRow = tensor.ElementCount / rows;
        switch (tensor.ElementType)
        {
            case EdgeElementType.Int64 when perRow == 1:
                categories.AddRange(tensor.ToArray<long>().Select(v => v.ToString(CultureInfo.InvariantCulture)));
                break;
            case EdgeElementType.Int32 when perRow == 1:
                categories.AddRange(tensor.ToArray<int>().Select(v => v.ToString(CultureInfo.InvariantCulture)));
                break;
            case EdgeElementType.Float when perRow == 1:
                numbers.AddRange(tensor.ToArray<float>().Select(v => (double)v));
                break;
            case EdgeElementType.Float:
                var scores = tensor.AsSpan<float>();
                for (var r = 0; r < rows; r++)
                {
                    var row = scores.Slice(r * perRow, perRow);
                    var best = 0;
                    for (var k = 1; k < row.Length; k++)
                    {
                        if (row[k] > row[best])
                        {
                            best = k;
                        }
                    }

                    categories.Add(best.ToString(CultureInfo.InvariantCulture));
                }

                break;
        }
    }

    private static bool IsMissing(string cell) => cell.Length == 0 || cell is "NA" or "NaN" or "nan" or "null";
}
