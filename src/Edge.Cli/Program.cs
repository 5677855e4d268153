using System.CommandLine;
using EdgeDeploy.Cli.Commands;

var root = new RootCommand("edge: run, inspect, benchmark, package and deploy ONNX models with EdgeDeploy.")
{
    InfoCommand.Create(),
    PredictCommand.Create(),
    BenchCommand.Create(),
    KeygenCommand.Create(),
    RootCommands.Create(),
    PackCommand.Create(),
    SignCommand.Create(),
    VerifyCommand.Create(),
    StoreCommands.Create(),
    AgentCommand.Create(),
};
foreach (var fleetCommand in FleetCommands.Create())
{
    root.Subcommands.Add(fleetCommand);
}

// "@file.jsonl" is an input file for `edge predict`, not a response file.
var configuration = new ParserConfiguration { ResponseFileTokenReplacer = null };
return root.Parse(args, configuration).Invoke();
