using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Cli.Commands;

/// <summary><c>edge store ...</c>: the device model store from the command line.</summary>
internal static class StoreCommands
{
    public static Command Create() => new("store", "Install (verify, gate, activate), roll back, inspect and predict with a device model store.")
    {
        Install(), Rollback(), Status(), Predict(),
    };

    private static Option<string> StoreDir() => new("--store") { Description = "Store directory.", Required = true };

    private static Option<string> TrustDir() => new("--trust") { Description = "Device trust directory.", Required = true };

    private static ModelStore Open(string store, string trust, long memoryBudget = 0, TelemetryRecorder? telemetry = null) => ModelStore.Open(new ModelStoreOptions
    {
        Directory = store,
        Trust = TrustStore.Open(trust, store), // the device's anti-rollback state lives in the store: the trust folder is only read
        MemoryBudgetBytes = memoryBudget,
        Telemetry = telemetry,
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
    });

    private static Command Install()
    {
        var package = new Argument<string>("package") { Description = "The .edgepkg to install." };
        var store = StoreDir();
        var trust = TrustDir();
        var budget = new Option<long>("--memory-budget") { Description = "Largest memory a model may need, in bytes (0 = no limit)." };
        var command = new Command("install", "Verify, gate and activate a package; exit 0 when it serves, 3 when the gate rejects it.") { package, store, trust, budget };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            using var s = Open(r.GetValue(store)!, r.GetValue(trust)!, r.GetValue(budget));
            var result = s.Install(r.GetValue(package)!);
            Console.WriteLine($"{result.Outcome.ToString().ToLowerInvariant()}: {(result.Gate?.ToString() ?? result.Version)}");
            Console.WriteLine($"serving: {s.ActiveVersion ?? "(none)"}");
            return result.Outcome == InstallOutcome.Rejected ? 3 : 0;
        }));
        return command;
    }

    private static Command Rollback()
    {
        var store = StoreDir();
        var trust = TrustDir();
        var command = new Command("rollback", "Serve the previous version again.") { store, trust };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            using var s = Open(r.GetValue(store)!, r.GetValue(trust)!);
            var from = s.ActiveVersion;
            Console.WriteLine($"rolled back from {from} to {s.Rollback()}");
            return 0;
        }));
        return command;
    }

    private static Command Status()
    {
        var store = StoreDir();
        var trust = TrustDir();
        var command = new Command("status", "Show the serving version and the installed ones.") { store, trust };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            using var s = Open(r.GetValue(store)!, r.GetValue(trust)!);
            Console.WriteLine($"model:     {s.ModelName ?? "(none)"}");
            Console.WriteLine($"serving:   {s.ActiveVersion ?? "(none)"}");
            Console.WriteLine($"installed: {string.Join(", ", s.InstalledVersions)}");
            return 0;
        }));
        return command;
    }

    private static Command Predict()
    {
        var store = StoreDir();
        var trust = TrustDir();
        var input = new Option<string>("--input", "-i") { Description = "Inputs: inline JSON, @file.json or @file.jsonl.", Required = true };
        var telemetry = new Option<string?>("--telemetry") { Description = "Record predictions into this SQLite outbox." };
        var repeat = new Option<int>("--repeat") { Description = "Run the inputs this many times (load generation).", DefaultValueFactory = _ => 1 };
        var quiet = new Option<bool>("--quiet") { Description = "Print only a summary." };
        var command = new Command("predict", "Predict with the serving model; each line reports the version and prediction id.") { store, trust, input, telemetry, repeat, quiet };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            using var recorder = r.GetValue(telemetry) is { } db ? TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = db }) : null;
            using var s = Open(r.GetValue(store)!, r.GetValue(trust)!, telemetry: recorder);
            var text = r.GetValue(input)!;
            var lines = text.StartsWith('@') ? File.ReadLines(text[1..]).Where(l => l.Trim().Length > 0).ToList() : [text];
            var served = 0;
            using var stdout = Console.OpenStandardOutput();
            for (var n = 0; n < r.GetValue(repeat); n++)
            {
                foreach (var line in lines)
                {
                    using var doc = JsonDocument.Parse(line);
                    var result = s.Predict(TensorJson.ReadInputs(doc.RootElement, s.ActiveSchema ?? throw new EdgeException(EdgeErrorCode.InvalidArgument, "No model is active yet; install a package first.")));
                    served++;
                    if (!r.GetValue(quiet))
                    {
                        using (var w = new Utf8JsonWriter(stdout, JsonOutput.Compact))
                        {
                            w.WriteStartObject();
                            w.WriteString("id", result.PredictionId.ToString("N"));
                            w.WriteString("version", result.Version);
                            w.WritePropertyName("outputs");
                            TensorJson.WritePrediction(w, result.Prediction);
                            w.WriteEndObject();
                        }

                        stdout.WriteByte((byte)'\n');
                    }
                }

                if (recorder is not null && n == 0)
                {
                    recorder.Flush(TimeSpan.FromSeconds(30));
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flushed {recorder.Statistics.Pending}"));
                    Console.Out.Flush();
                }
            }

            recorder?.Flush(TimeSpan.FromSeconds(30));
            Console.Error.WriteLine($"served {served} prediction(s) with {s.ActiveVersion}");
            return 0;
        }));
        return command;
    }
}
