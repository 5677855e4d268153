using System.CommandLine;
using EdgeDeploy.Cli.Commands;

var root = new RootCommand("edge: run, inspect and benchmark ONNX models for EdgeDeploy.")
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
};

// "@file.jsonl" is an input file for `edge predict`, not a response file.
var configuration = new ParserConfiguration { ResponseFileTokenReplacer = null };
return root.Parse(args, configuration).Invoke();
