namespace EdgeDeploy.Runtime.Packages;

/// <summary>What to do when a feature is missing.</summary>
public enum MissingValuePolicy
{
    /// <summary>Refuse the prediction.</summary>
    Reject = 0,

    /// <summary>Substitute <see cref="FeatureSpec.ImputeValue"/>.</summary>
    Impute = 1,

    /// <summary>Pass NaN to the model, which handles it.</summary>
    Allow = 2,
}
