using System.CommandLine;
using System.CommandLine.Invocation;
using EdgeDeploy.Cli;
using EdgeDeploy.Cli.Commands;

// Cold start: an offline verb builds only its own command tree. The published `edge` carries nothing else: it hands
// every other command line (the networked verbs, help for all verbs, a usage error) to `edge-net` beside it (EdgeNet.cs).
var offlineVerbs = new Dictionary<string, Func<Command>>(StringComparer.Ordinal)
{
    ["info"] = InfoCommand.Create,
    ["predict"] = PredictCommand.Create,
    ["bench"] = BenchCommand.Create,
    ["keygen"] = KeygenCommand.Create,
    ["root"] = RootCommands.Create,
    ["pack"] = PackCommand.Create,
    ["sign"] = SignCommand.Create,
    ["verify"] = VerifyCommand.Create,
    ["store"] = StoreCommands.Create,
};
var root = new RootCommand("edge: run, inspect, benchmark, package and deploy ONNX models with EdgeDeploy.");

// `edge help predict` is `edge predict --help`: answered here, so an offline verb's help needs no edge-net.
if (args is ["help", var helpVerb, ..] && offlineVerbs.ContainsKey(helpVerb))
{
    args = [.. args[1..], "--help"];
}

if (args.Length > 0 && offlineVerbs.TryGetValue(args[0], out var only))
{
    root.Subcommands.Add(only());
}
else if (args is ["--version"])
{
    // The root command answers it alone (the same assembly version in both binaries).
}
else if (EdgeNet.IsSeparate)
{
    return EdgeNet.Run(args);
}
else if (args is ["agent", ..] or ["serve", ..])
{
    root.Subcommands.Add(args[0] == "agent" ? AgentCommand.Create() : ServeCommand.Create());
}
else
{
    foreach (var create in offlineVerbs.Values)
    {
        root.Subcommands.Add(create());
    }

    root.Subcommands.Add(AgentCommand.Create());
    root.Subcommands.Add(ServeCommand.Create());
    foreach (var fleetCommand in FleetCommands.Create())
    {
        root.Subcommands.Add(fleetCommand);
    }
}

// "@file.jsonl" is an input file for `edge predict`, not a response file.
var configuration = new ParserConfiguration { ResponseFileTokenReplacer = null };

// `edge help [verb ...]`: the same text as `edge [verb ...] --help`.
var verbs = new Argument<string[]>("verb") { Description = "The verb (and sub-verb) to explain; none lists every verb.", Arity = ArgumentArity.ZeroOrMore };
var help = new Command("help", "Show help for edge or for one verb: edge help rollout create.") { verbs };
help.SetAction(r => Run([.. r.GetValue(verbs) ?? [], "--help"]));
root.Subcommands.Add(help);

return Run(args);

// Usage errors (no verb, a mistyped verb, a missing required option) exit 2, "could not run", as README's conventions say;
// System.CommandLine alone would exit 1, which is reserved for "some inputs failed".
int Run(string[] arguments)
{
    var parsed = root.Parse(arguments, configuration);
    if (parsed.Action is ParseErrorAction)
    {
        // A mistyped verb: name the word that was not understood (and the verb meant), not every consequence of it.
        var unknown = parsed.UnmatchedTokens.FirstOrDefault();
        var errors = unknown is null ? parsed.Errors : parsed.Errors.Where(e => e.Message.Contains($"'{unknown}'", StringComparison.Ordinal)).Take(1).ToList();
        foreach (var error in errors.Count > 0 ? errors : parsed.Errors)
        {
            Console.Error.WriteLine($"error: Usage: {error.Message}{Suggestion(parsed, error.Message)}");
        }

        var verb = string.Join(' ', CommandPath(parsed.CommandResult.Command));
        Console.Error.WriteLine($"Run 'edge help{(verb.Length == 0 ? string.Empty : " " + verb)}' for usage.");
        return 2;
    }

    // Ctrl+C and SIGTERM cancel the command; the agent then has time to send its last health and telemetry.
    return parsed.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
}

static IEnumerable<string> CommandPath(Command command)
{
    var names = new List<string>();
    for (Command? c = command; c is not null && c is not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
    {
        names.Insert(0, c.Name);
    }

    return names;
}

// "did you mean 'predict'?" for a mistyped verb: the closest sub-verb within two edits.
static string Suggestion(ParseResult parsed, string message)
{
    var token = parsed.UnmatchedTokens.FirstOrDefault();
    if (token is null || !message.Contains(token, StringComparison.Ordinal))
    {
        return string.Empty;
    }

    var closest = parsed.CommandResult.Command.Subcommands
        .Select(c => (c.Name, Distance: Distance(c.Name, token)))
        .Where(c => c.Distance <= 2)
        .OrderBy(c => c.Distance)
        .FirstOrDefault();
    return closest.Name is null ? string.Empty : $" Did you mean '{closest.Name}'?";
}

static int Distance(string a, string b)
{
    var d = new int[a.Length + 1, b.Length + 1];
    for (var i = 0; i <= a.Length; i++)
    {
        d[i, 0] = i;
    }

    for (var j = 0; j <= b.Length; j++)
    {
        d[0, j] = j;
    }

    for (var i = 1; i <= a.Length; i++)
    {
        for (var j = 1; j <= b.Length; j++)
        {
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        }
    }

    return d[a.Length, b.Length];
}
