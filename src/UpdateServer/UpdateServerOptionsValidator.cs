using Microsoft.Extensions.Options;

namespace EdgeDeploy.UpdateServer;

/// <summary>Runs <see cref="UpdateServerOptions.Validate"/> for the options system, so a bad setting fails the start with its message.</summary>
internal sealed class UpdateServerOptionsValidator : IValidateOptions<UpdateServerOptions>
{
    public ValidateOptionsResult Validate(string? name, UpdateServerOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
