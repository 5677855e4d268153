using EdgeDeploy.UpdateServer;

var app = UpdateServerApp.Build(args);
await app.RunAsync();
