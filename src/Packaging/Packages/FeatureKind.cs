namespace EdgeDeploy.Runtime.Packages;

/// <summary>Kind of a feature.</summary>
public enum FeatureKind
{
    /// <summary>A number.</summary>
    Numeric = 0,

    /// <summary>One of a fixed set of categories.</summary>
    Categorical = 1,
}
