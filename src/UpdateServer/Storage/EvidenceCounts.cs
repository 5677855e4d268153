namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Labelled predictions scored through their evidence (see <c>EvidenceOutcome</c>): how often the true class sat at each
/// rank of the device's top classes (top-k accuracy for any k up to the classes kept), and the summed character and
/// word edits of decoded text against true text with the truth's lengths (CER and WER over the window, as the device gate
/// computes them over a set: total edits over total truth length).
/// </summary>
public sealed class EvidenceCounts
{
    private readonly Dictionary<int, long> _ranks = [];

    /// <summary>Labelled predictions with top classes, by the rank of the true class (0: best; -1: not among them).</summary>
    public IReadOnlyDictionary<int, long> Ranks => _ranks;

    /// <summary>Labelled predictions with top classes.</summary>
    public long Ranked { get; private set; }

    /// <summary>Decoded texts scored against a true text.</summary>
    public long Sequences { get; private set; }

    /// <summary>Character edits (Unicode text elements) summed over <see cref="Sequences"/>.</summary>
    public long CharacterEdits { get; private set; }

    /// <summary>True-text characters summed over <see cref="Sequences"/>.</summary>
    public long Characters { get; private set; }

    /// <summary>Word edits summed over <see cref="Sequences"/>.</summary>
    public long WordEdits { get; private set; }

    /// <summary>True-text words summed over <see cref="Sequences"/>.</summary>
    public long Words { get; private set; }

    /// <summary>Share of ranked predictions whose true class was among the first <paramref name="k"/>; NaN without any.</summary>
    public double TopKAccuracy(int k) =>
        Ranked == 0 ? double.NaN : _ranks.Where(r => r.Key >= 0 && r.Key < k).Sum(r => r.Value) / (double)Ranked;

    /// <summary>Character error rate: edits over true characters; NaN without any.</summary>
    public double CharacterErrorRate => Characters == 0 ? double.NaN : CharacterEdits / (double)Characters;

    /// <summary>Word error rate: edits over true words; NaN without any.</summary>
    public double WordErrorRate => Words == 0 ? double.NaN : WordEdits / (double)Words;

    internal void AddRank(int rank, long n)
    {
        if (n == 0)
        {
            return;
        }

        _ranks[rank] = _ranks.GetValueOrDefault(rank) + n;
        Ranked += n;
    }

    internal void AddEdits(long sequences, long characterEdits, long characters, long wordEdits, long words)
    {
        Sequences += sequences;
        CharacterEdits += characterEdits;
        Characters += characters;
        WordEdits += wordEdits;
        Words += words;
    }

    internal void Add(EvidenceOutcome outcome)
    {
        if (outcome.TopRank is { } rank)
        {
            AddRank(rank, 1);
        }

        if (outcome.Characters is { } c && outcome.Words is { } w)
        {
            AddEdits(1, c.Edits, c.Length, w.Edits, w.Length);
        }
    }
}
