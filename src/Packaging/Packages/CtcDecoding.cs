namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Greedy CTC decoding of a sequence output: per time step the highest-scoring symbol, repeats collapsed, blanks dropped.
/// The vocabulary is a UTF-8 file in the package (so it is hashed and signed with it), one symbol per line: line i is
/// the symbol of class index i.
/// </summary>
public sealed class CtcDecoding
{
    /// <summary>Path of the vocabulary file inside the package; it must be listed among the manifest's files.</summary>
    public required string Vocabulary { get; init; }

    /// <summary>Class index of the CTC blank. Default 0.</summary>
    public int Blank { get; init; }
}
