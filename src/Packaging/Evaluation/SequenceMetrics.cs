using System.Text;

namespace EdgeDeploy.Runtime.Evaluation;

/// <summary>Greedy CTC decoding and character/word error rates.</summary>
public static class SequenceMetrics
{
    /// <summary>One symbol per line (UTF-8, '\n' or "\r\n"); line i is class i. A trailing newline adds no symbol.</summary>
    public static string[] ReadVocabulary(byte[] file)
    {
        var text = Encoding.UTF8.GetString(file).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }

        return text.Split('\n');
    }

    /// <summary>
    /// Greedy CTC: per time step the highest-scoring class, consecutive repeats collapsed, blanks dropped, the rest
    /// mapped through the vocabulary. The output is <c>[T, C]</c> or <c>[1, T, C]</c> scores (logits or probabilities).
    /// </summary>
    public static string GreedyCtc(EdgeTensor output, string[] vocabulary, int blank)
    {
        var shape = output.Shape;
        if (shape.Length is not (2 or 3) || (shape.Length == 3 && shape[0] != 1))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Greedy CTC decoding needs a [T, C] or [1, T, C] output, not {output}.");
        }

        var steps = (int)shape[^2];
        var classes = (int)shape[^1];
        var scores = ClassificationMetrics.Scores(output);
        var text = new StringBuilder();
        var previous = -1;
        for (var t = 0; t < steps; t++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (scores[(t * classes) + c] > scores[(t * classes) + best])
                {
                    best = c;
                }
            }

            if (best != previous && best != blank)
            {
                if (best >= vocabulary.Length)
                {
                    throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Class {best} has no symbol: the vocabulary has {vocabulary.Length} lines.");
                }

                text.Append(vocabulary[best]);
            }

            previous = best;
        }

        return text.ToString();
    }

    /// <summary>Total character edit distance over total truth characters (Unicode text elements), over the whole set.</summary>
    public static double CharacterErrorRate(IReadOnlyList<string> decoded, IReadOnlyList<string> truth) => Rate(decoded, truth, CharacterEdits);

    /// <summary>Total word edit distance over total truth words (split on whitespace), over the whole set.</summary>
    public static double WordErrorRate(IReadOnlyList<string> decoded, IReadOnlyList<string> truth) => Rate(decoded, truth, WordEdits);

    /// <summary>
    /// One row's character edits and truth length (Unicode text elements): the sums over rows give the set's CER, so the
    /// server can keep them per hour and still answer for any window exactly.
    /// </summary>
    public static (int Edits, int Length) CharacterEdits(string decoded, string truth)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(truth);
        var t = Elements(truth);
        return (EditDistance(Elements(decoded), t), t.Length);
    }

    /// <summary>One row's word edits and truth word count (split on whitespace); the sums over rows give the set's WER.</summary>
    public static (int Edits, int Length) WordEdits(string decoded, string truth)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(truth);
        var t = Words(truth);
        return (EditDistance(Words(decoded), t), t.Length);
    }

    /// <summary>Levenshtein distance (insertions, deletions and substitutions cost 1).</summary>
    public static int EditDistance(string[] a, string[] b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static double Rate(IReadOnlyList<string> decoded, IReadOnlyList<string> truth, Func<string, string, (int Edits, int Length)> edits)
    {
        long total = 0, length = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            var (e, l) = edits(decoded[i], truth[i]);
            total += e;
            length += l;
        }

        return length == 0 ? double.NaN : total / (double)length;
    }

    private static string[] Words(string s) => s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static string[] Elements(string s)
    {
        var list = new List<string>(s.Length);
        var e = System.Globalization.StringInfo.GetTextElementEnumerator(s);
        while (e.MoveNext())
        {
            list.Add(e.GetTextElement());
        }

        return [.. list];
    }
}
