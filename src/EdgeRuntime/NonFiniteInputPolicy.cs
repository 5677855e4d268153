namespace EdgeDeploy.Runtime;

/// <summary>What to do with NaN and infinity in floating-point inputs.</summary>
public enum NonFiniteInputPolicy
{
    /// <summary>Reject the call with <see cref="EdgeErrorCode.NonFiniteInput"/>, naming the input and the first bad index.</summary>
    Reject = 0,

    /// <summary>Pass the values to the model unchanged.</summary>
    Allow = 1,
}
