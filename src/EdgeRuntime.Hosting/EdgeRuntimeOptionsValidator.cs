using Microsoft.Extensions.Options;

namespace EdgeDeploy.Runtime.Hosting;

/// <summary>
/// The one place <see cref="EdgeRuntimeOptions"/> is checked, in configuration terms (setting names as in
/// appsettings), at host start and when the options are first read. The store, telemetry and agent options built from
/// them are checked again, in their own terms, where those objects open.
/// </summary>
internal sealed class EdgeRuntimeOptionsValidator : IValidateOptions<EdgeRuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeRuntimeOptions options)
    {
        List<string> failures = [];
        if (options.TrustDirectory.Length == 0)
        {
            failures.Add("EdgeRuntime:TrustDirectory is required.");
        }

        var a = options.Agent;
        if (a.ServerAddress.Length > 0 && (a.DeviceId.Length == 0 || a.EnrollmentToken.Length == 0 || a.AssignmentPublicKeyPath.Length == 0))
        {
            failures.Add("EdgeRuntime:Agent needs DeviceId, EnrollmentToken and AssignmentPublicKeyPath when ServerAddress is set.");
        }

        if ((a.ServerCaPath.Length > 0 || a.ClientCertificatePath.Length > 0 || a.ClientKeyPath.Length > 0) && !a.ServerAddress.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("EdgeRuntime:Agent:ServerCaPath, ClientCertificatePath and ClientKeyPath need an https:// ServerAddress.");
        }

        if (a.ClientKeyPath.Length > 0 && a.ClientCertificatePath.Length == 0)
        {
            failures.Add("EdgeRuntime:Agent:ClientKeyPath needs ClientCertificatePath.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
