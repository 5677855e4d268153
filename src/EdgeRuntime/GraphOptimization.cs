namespace EdgeDeploy.Runtime;

/// <summary>How much ONNX Runtime may rewrite the graph at load time.</summary>
public enum GraphOptimization
{
    /// <summary>No rewrites.</summary>
    None = 0,

    /// <summary>Constant folding and redundant node elimination.</summary>
    Basic = 1,

    /// <summary>Basic plus node fusions.</summary>
    Extended = 2,

    /// <summary>Everything, including layout optimisations.</summary>
    All = 99,
}
