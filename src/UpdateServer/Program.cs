using EdgeDeploy.Runtime;
using EdgeDeploy.UpdateServer;
using Microsoft.Extensions.Options;

// A server that cannot start (bad settings, missing trust root, cleartext on a public address, a port in use) says why in
// one line and exits 2, rather than dying with a stack trace.
WebApplication app;
try
{
    app = UpdateServerApp.Build(args);
    await app.StartAsync();
}
catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or OptionsValidationException or IOException or EdgeException)
{
    var code = ex is EdgeException edge ? edge.Code.ToString() : ex is IOException ? "StartFailed" : "ConfigurationInvalid";
    Console.Error.WriteLine($"error: {code}: {ex.Message}");
    return 2;
}

await using (app)
{
    await app.WaitForShutdownAsync();
}

return 0;
