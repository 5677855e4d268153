using System.CommandLine;
using System.Globalization;
using EdgeDeploy.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeDeploy.Cli.Commands;

/// <summary>Operator verbs over the update server's gRPC admin API: publish, rollout, devices.</summary>
internal static class FleetCommands
{
    private const int PublishChunkBytes = 256 * 1024;

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>
    /// --strategy names: every <see cref="RolloutStrategy"/> value by its name in kebab case (AllAtOnce is all-at-once),
    /// so a strategy the proto gains is a CLI name at once.
    /// </summary>
    private static readonly Dictionary<string, RolloutStrategy> StrategyNames = Enum.GetValues<RolloutStrategy>()
        .Where(s => s != RolloutStrategy.Unspecified)
        .ToDictionary(s => string.Concat(s.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())), StringComparer.Ordinal);

    /// <summary>"all-at-once, canary, ... or bandit".</summary>
    private static readonly string StrategyList = string.Join(", ", StrategyNames.Keys.SkipLast(1)) + " or " + StrategyNames.Keys.Last();

    public static IEnumerable<Command> Create() => [Publish(), Rollout(), Devices(), Monitor(), .. AdminCommands.Create()];

    private static Command Publish()
    {
        var package = new Argument<string>("package") { Description = "The signed .edgepkg to publish." };
        var (server, json) = (new FleetConnection(), JsonFlag());
        var command = new Command("publish", "Upload a signed package to the registry (verified there; versions are immutable).") { package, server, json };
        command.SetAction((r, ct) => Guard(async registry =>
        {
            var bytes = await File.ReadAllBytesAsync(r.GetValue(package)!, ct);
            using var call = registry.PublishPackage(cancellationToken: ct);
            using var progress = new TerminalProgress("uploading " + Path.GetFileName(r.GetValue(package)!));
            try
            {
                for (var offset = 0; offset < bytes.Length; offset += PublishChunkBytes)
                {
                    await call.RequestStream.WriteAsync(new PublishChunk { Data = ByteString.CopyFrom(bytes, offset, Math.Min(PublishChunkBytes, bytes.Length - offset)) }, ct);
                    progress.Report(Math.Min(offset + PublishChunkBytes, bytes.Length), bytes.Length, "bytes");
                }

                progress.Report("verifying on the server");

                await call.RequestStream.CompleteAsync();
            }
            catch (RpcException)
            {
                // The server refused before reading everything; its reason is in the response.
            }

            var published = await call;
            Print(r.GetValue(json), published, $"{(published.AlreadyPresent ? "already published" : "published")}: {published.Name} {published.Version} sha256 {published.Sha256} ({published.Size} bytes)");
        }, r, server, ct));
        return command;
    }

    private static Command Rollout()
    {
        var rollout = new Command("rollout", "Create, inspect and steer rollouts.");
        rollout.Subcommands.Add(CreateRollout());
        var id = new Argument<string?>("id") { Description = "Rollout id (omit to list every rollout).", Arity = ArgumentArity.ZeroOrOne };
        var (server, json) = (new FleetConnection(), JsonFlag());
        var model = new Option<string?>("--model") { Description = "Only this model's rollouts." };
        var history = new Option<bool>("--history") { Description = "With an id: also print the rollout's history (who changed what and why, the controller's gate values, arm weights)." };
        var status = new Command("status", "Show one rollout, or all of them: stage, devices, health, arms.") { id, model, history, server, json };
        status.SetAction((r, ct) => Guard(async registry =>
        {
            if (r.GetValue(id) is { } one)
            {
                var found = await registry.GetRolloutAsync(new GetRolloutRequest { Id = one }, cancellationToken: ct);
                Print(r.GetValue(json), found, Describe(found) + (r.GetValue(history) ? Environment.NewLine + DescribeHistory(found) : string.Empty));
                return;
            }

            var all = await registry.ListRolloutsAsync(new ListRolloutsRequest { Model = r.GetValue(model) ?? string.Empty }, cancellationToken: ct);
            Print(r.GetValue(json), all, all.Rollouts.Count == 0 ? "no rollouts" : string.Join(Environment.NewLine, all.Rollouts.Select(Describe)));
        }, r, server, ct));
        rollout.Subcommands.Add(status);
        rollout.Subcommands.Add(Action("pause", "Stop adding devices; those on the new version keep it.", (c, req, ct) => c.PauseRolloutAsync(req, cancellationToken: ct).ResponseAsync));
        rollout.Subcommands.Add(Action("resume", "Resume a paused rollout (its stage timers restart).", (c, req, ct) => c.ResumeRolloutAsync(req, cancellationToken: ct).ResponseAsync));
        rollout.Subcommands.Add(Action("rollback", "Send every device of the rollout back to its baseline version.", (c, req, ct) => c.RollbackRolloutAsync(req, cancellationToken: ct).ResponseAsync));
        rollout.Subcommands.Add(Action("promote", "Blue/green: switch to green. Staged/canary: jump to 100%. Bandit: keep the best arm. Shadow: end it.", (c, req, ct) => c.PromoteRolloutAsync(req, cancellationToken: ct).ResponseAsync));
        return rollout;
    }

    private static Command CreateRollout()
    {
        var model = new Option<string>("--model") { Description = "Model name.", Required = true };
        var version = new Option<string>("--version") { Description = "Version to roll out (published).", Required = true };
        var strategy = new Option<string>("--strategy")
        {
            Description = StrategyList + ".",
            DefaultValueFactory = _ => "all-at-once",
        };
        var percent = new Option<double>("--percent") { Description = "Canary: percent of the targeted devices." };
        var stages = new Option<string?>("--stages") { Description = "Staged: increasing percents ending at 100, e.g. 10,50,100." };
        var arms = new Option<string[]>("--arm") { Description = "Bandit: another version to compete (repeatable).", AllowMultipleArgumentsPerToken = false };
        var tags = new Option<string[]>("--tag") { Description = "Only devices carrying this tag (repeatable)." };
        var attributes = new Option<string[]>("--attr") { Description = "Only devices with this attribute, key=value (repeatable)." };
        var onFailure = new Option<string>("--on-failure") { Description = "rollback or pause when a gate fails.", DefaultValueFactory = _ => "rollback" };
        var minInstall = new Option<double?>("--min-install-success") { Description = "Gate: share of devices that must install [0.95]." };
        var maxErrors = new Option<double?>("--max-error-rate") { Description = "Gate: failed predictions share [0.05]." };
        var maxLatency = new Option<double?>("--max-latency-p95-ms") { Description = "Gate: latency p95 in ms [off]." };
        var maxRegression = new Option<double?>("--max-metric-regression") { Description = "Gate: how much worse than the baseline the online metric may be [off]." };
        var minLabels = new Option<long?>("--min-ground-truth") { Description = "Labels needed before the metric gate judges [50]." };
        var minRequests = new Option<long?>("--min-requests") { Description = "Predictions needed before error and latency gates judge [20]." };
        var stageMin = new Option<int?>("--stage-min-seconds") { Description = "Minimum time per stage [0]." };
        var timeout = new Option<int?>("--device-timeout-seconds") { Description = "A silent member counts as failed after this [600]." };
        var failOnAlerts = new Option<bool>("--fail-on-alerts") { Description = "A firing alert on the version fails the gates." };
        var (server, json) = (new FleetConnection(), JsonFlag());
        var command = new Command("create", "Create a rollout.")
        {
            model, version, strategy, percent, stages, arms, tags, attributes, onFailure, minInstall, maxErrors, maxLatency, maxRegression, minLabels, minRequests, stageMin, timeout, failOnAlerts,
            server, json,
        };
        command.SetAction((r, ct) => Guard(async registry =>
        {
            var request = new CreateRolloutRequest
            {
                Model = r.GetValue(model)!,
                Version = r.GetValue(version)!,
                Strategy = StrategyNames.TryGetValue(r.GetValue(strategy)!.ToLowerInvariant(), out var chosen)
                    ? chosen
                    : throw new ArgumentException($"Unknown strategy '{r.GetValue(strategy)!.ToLowerInvariant()}'; use {StrategyList}."),
                CanaryPercent = r.GetValue(percent),
                OnFailure = r.GetValue(onFailure) == "pause" ? FailureAction.Pause : FailureAction.Rollback,
                Gates = new HealthGates(),
            };
            if (r.GetValue(stages) is { } s)
            {
                request.Stages.AddRange(s.Split(',').Select(p => double.Parse(p, CultureInfo.InvariantCulture)));
            }

            request.BanditVersions.AddRange(r.GetValue(arms) ?? []);
            request.TargetTags.AddRange(r.GetValue(tags) ?? []);
            foreach (var pair in r.GetValue(attributes) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new ArgumentException($"--attr '{pair}' is not key=value.");
                }

                request.TargetAttributes[pair[..eq]] = pair[(eq + 1)..];
            }

            var g = request.Gates; // only what was given is sent: the server fills in its defaults
            Apply(r.GetValue(minInstall), v => g.MinInstallSuccessRate = v);
            Apply(r.GetValue(maxErrors), v => g.MaxErrorRate = v);
            Apply(r.GetValue(maxLatency), v => g.MaxLatencyP95Ms = v);
            Apply(r.GetValue(maxRegression), v => g.MaxMetricRegression = v);
            Apply(r.GetValue(minLabels), v => g.MinGroundTruth = v);
            Apply(r.GetValue(minRequests), v => g.MinRequests = v);
            Apply(r.GetValue(stageMin), v => g.StageMinSeconds = v);
            Apply(r.GetValue(timeout), v => g.DeviceTimeoutSeconds = v);
            if (r.GetValue(failOnAlerts))
            {
                g.FailOnAlerts = true;
            }

            var created = await registry.CreateRolloutAsync(request, cancellationToken: ct);
            Print(r.GetValue(json), created, Describe(created));
        }, r, server, ct));
        return command;
    }

    private static Command Action(string name, string description, Func<RegistryService.RegistryServiceClient, RolloutActionRequest, CancellationToken, Task<Protos.V1.Rollout>> call)
    {
        var id = new Argument<string>("id") { Description = "Rollout id." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept with the rollout)." };
        var (server, json) = (new FleetConnection(), JsonFlag());
        var command = new Command(name, description) { id, reason, server, json };
        command.SetAction((r, ct) => Guard(async registry =>
        {
            var result = await call(registry, new RolloutActionRequest { Id = r.GetValue(id)!, Reason = r.GetValue(reason) ?? string.Empty }, ct);
            Print(r.GetValue(json), result, Describe(result));
        }, r, server, ct));
        return command;
    }

    private static Command Devices()
    {
        var (server, json) = (new FleetConnection(), JsonFlag());
        var command = new Command("devices", "List registered devices: attributes, tags, last seen, installed versions. Admins: remove, reset, rotate.") { server, json };
        foreach (var verb in AdminCommands.DeviceVerbs())
        {
            command.Subcommands.Add(verb);
        }

        command.SetAction((r, ct) => Guard(async registry =>
        {
            var list = await registry.ListDevicesAsync(new ListDevicesRequest(), cancellationToken: ct);
            var lines = list.Devices.Select(d =>
                $"{d.DeviceId}  last seen {(d.LastSeenUnixMs == 0 ? "never" : DateTimeOffset.FromUnixTimeMilliseconds(d.LastSeenUnixMs).ToString("u", CultureInfo.InvariantCulture))}  "
                + $"runs {(d.Installed.Count == 0 ? "nothing" : string.Join(", ", d.Installed.Select(i => $"{i.Name} {i.Version}")))}"
                + $"  tags [{string.Join(",", d.Tags)}]  {string.Join(" ", d.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"))}");
            Print(r.GetValue(json), list, list.Devices.Count == 0 ? "no devices" : string.Join(Environment.NewLine, lines));
        }, r, server, ct));
        return command;
    }

    private static Command Monitor()
    {
        var monitor = new Command("monitor", "Fleet monitoring of a model version: serving statistics per time window, drift, slices, fairness, alerts, and labelled predictions out for retraining (export).");
        monitor.Subcommands.Add(WindowedQuery(
            "status", "Requests, error rate, latency p50/p95/p99, online metric (device health reports, as rollout gates read them), then missing inputs, predictions and, where devices send evidence, the gate metrics online (top-k accuracy, CER/WER, mAP) from telemetry per window.", 10, "Window length (0 = one window).",
            async (registry, request, ct) =>
            {
                var stats = await registry.GetVersionStatsAsync(request, cancellationToken: ct);
                var lines = new List<string> { $"{request.Model} {request.Version}: window (UTC)  requests  errors  latency p50/p95/p99  online metric  |  telemetry: records  missing  predictions" };
                lines.AddRange(stats.Windows.Select(w => Invariant(
                    $"  {Window(w.FromUnixMs, w.ToUnixMs)}  {w.ReportedRequests,6}  {Errors(w.ReportedRequests, w.ErrorRate)}  {Ms(w.ReportedLatencyP50Ms)}/{Ms(w.ReportedLatencyP95Ms)}/{Ms(w.ReportedLatencyP99Ms)} ms  {w.MetricName} {Number(w.ReportedOnlineMetric, "F4")} on {w.ReportedGroundTruth} labels  |  {w.Requests} records  {(w.Requests == 0 ? "-" : (w.MissingFraction * 100).ToString("F2", CultureInfo.InvariantCulture) + "%")} missing  {(w.Predictions.Count == 0 ? "-" : string.Join(" ", w.Predictions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{p.Value}")))}{GateMetrics(w)}")));
                return (stats, string.Join(Environment.NewLine, lines));
            }));

        {
            var (model, version, minutes) = (ModelOption(), VersionOption(), MinutesOption());
            var sinceOption = new Option<DateTimeOffset?>("--since") { Description = "Score from this time (ISO 8601, e.g. 2026-01-31T12:00:00Z) instead of --minutes back." };
            var (server, json) = (new FleetConnection(), JsonFlag());
            var drift = new Command("drift", "Drift of each feature and output against the package's training reference: PSI, Jensen-Shannon and KS (effect sizes), the sample size and a two-sample test's p-value, fleet-wide.")
            {
                model, version, minutes, sinceOption, server, json,
            };
            drift.SetAction((r, ct) => Guard(async registry =>
            {
                var since = r.GetValue(sinceOption)?.ToUnixTimeMilliseconds() ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (r.GetValue(minutes) * 60_000L);
                var report = await registry.GetDriftAsync(new DriftRequest { Model = r.GetValue(model)!, Version = r.GetValue(version)!, SinceUnixMs = since }, cancellationToken: ct);
                var width = report.Features.Select(f => f.Name.Length + (f.IsOutput ? 7 : 0)).DefaultIfEmpty(7).Max();
                var lines = new List<string>
                {
                    $"{r.GetValue(model)} {r.GetValue(version)}, drift reported {Window(report.SinceUnixMs, report.UntilUnixMs)} UTC:",
                    Invariant($"  {"feature".PadRight(width)}       n  missing     PSI      JS      KS  p (test)"),
                };
                lines.AddRange(report.Features.Select(f => Invariant(
                    $"  {((f.IsOutput ? "output " : string.Empty) + f.Name).PadRight(width)}  {f.Samples,6}  {f.MissingFraction * 100,6:F1}%  {Number(f.Psi, "F4"),6}  {Number(f.JensenShannon, "F4"),6}  {Number(f.Ks, "F4"),6}  {PValue(f)}{Verdict(f)}")));
                lines.Add("  " + report.Rule);
                Print(r.GetValue(json), report, string.Join(Environment.NewLine, lines));
            }, r, server, ct));
            monitor.Subcommands.Add(drift);
        }

        monitor.Subcommands.Add(WindowedQuery(
            "slices", "Online metric per model-card slice (fleet-wide, from labelled predictions) beside the card's offline figure, optionally per window.", 0, "Window length for the over-time view (0 = totals only).",
            async (registry, request, ct) =>
            {
                var report = await registry.GetSlicesAsync(request, cancellationToken: ct);
                return (report, DescribeSlices($"{request.Model} {request.Version}", report));
            }));

        monitor.Subcommands.Add(WindowedQuery(
            "fairness", "The model card's fairness groups online (labelled predictions): each group's positive, false positive and false negative rate against the reference group's, judged against the card's range; then per-class recall and precision.", 0, "Ignored (totals over --minutes).",
            async (registry, request, ct) =>
            {
                var report = await registry.GetFairnessAsync(request, cancellationToken: ct);
                return (report, FairnessText.Describe($"{request.Model} {request.Version}", report));
            }));

        {
            var (server, json) = (new FleetConnection(), JsonFlag());
            var all = new Option<bool>("--all") { Description = "Include resolved alerts." };
            var alerts = new Command("alerts", "Alerts opened by alert rules (firing ones, or --all).") { all, server, json };
            alerts.SetAction((r, ct) => Guard(async registry =>
            {
                var list = await registry.ListAlertsAsync(new ListAlertsRequest { IncludeResolved = r.GetValue(all) }, cancellationToken: ct);
                var lines = list.Alerts.Select(a =>
                    $"{a.Id}  {(a.Firing ? "FIRING" : "resolved")}  {a.Model} {a.Version}  since {DateTimeOffset.FromUnixTimeMilliseconds(a.OpenedUnixMs).ToString("u", CultureInfo.InvariantCulture)}  {a.Message}");
                Print(r.GetValue(json), list, list.Alerts.Count == 0 ? "no alerts" : string.Join(Environment.NewLine, lines));
            }, r, server, ct));
            monitor.Subcommands.Add(alerts);
        }

        monitor.Subcommands.Add(AlertRules());
        monitor.Subcommands.Add(ExportCommand.Create());
        return monitor;
    }

    private static Command AlertRules()
    {
        var rules = new Command("alert-rule", "Add, list and delete alert rules.");
        {
            var model = ModelOption();
            var version = new Option<string?>("--version") { Description = "One version (default: every version a live rollout deploys)." };
            var metric = new Option<string>("--metric")
            {
                Description = "error_rate, latency_p50_ms, latency_p95_ms, latency_p99_ms, online_metric, missing_fraction, psi, ks, jensen_shannon, slice_metric, min_class_recall, min_class_precision, positive_rate_ratio, fpr_ratio, fnr_ratio, fairness_disparity, top_k_accuracy, cer, wer or map.",
                Required = true,
            };
            var feature = new Option<string?>("--feature") { Description = "psi, ks, jensen_shannon: the feature or output; slice_metric (and optionally min_class_recall, min_class_precision, top_k_accuracy, cer, wer): the model-card slice; the fairness metrics: optionally one fairness group (default: the group farthest from parity)." };
            var above = new Option<double?>("--above") { Description = "Fire when the value exceeds this." };
            var below = new Option<double?>("--below") { Description = "Fire when the value falls below this." };
            var window = new Option<int>("--window-seconds") { Description = "Trailing window (default 300)." };
            var minSamples = new Option<long>("--min-samples") { Description = "Samples needed before judging (default 20)." };
            var (server, json) = (new FleetConnection(), JsonFlag());
            var add = new Command("add", "Add a rule.") { model, version, metric, feature, above, below, window, minSamples, server, json };
            add.SetAction((r, ct) => Guard(async registry =>
            {
                if (r.GetValue(above).HasValue == r.GetValue(below).HasValue)
                {
                    throw new ArgumentException("give exactly one of --above and --below.");
                }

                var rule = await registry.CreateAlertRuleAsync(
                    new AlertRule
                    {
                        Model = r.GetValue(model)!, Version = r.GetValue(version) ?? string.Empty, Metric = r.GetValue(metric)!, Feature = r.GetValue(feature) ?? string.Empty,
                        Below = r.GetValue(below).HasValue, Threshold = r.GetValue(above) ?? r.GetValue(below)!.Value, WindowSeconds = r.GetValue(window), MinSamples = r.GetValue(minSamples),
                    },
                    cancellationToken: ct);
                Print(r.GetValue(json), rule, DescribeRule(rule));
            }, r, server, ct));
            rules.Subcommands.Add(add);
        }

        {
            var (server, json) = (new FleetConnection(), JsonFlag());
            var list = new Command("list", "List rules.") { server, json };
            list.SetAction((r, ct) => Guard(async registry =>
            {
                var all = await registry.ListAlertRulesAsync(new ListAlertRulesRequest(), cancellationToken: ct);
                Print(r.GetValue(json), all, all.Rules.Count == 0 ? "no alert rules" : string.Join(Environment.NewLine, all.Rules.Select(DescribeRule)));
            }, r, server, ct));
            rules.Subcommands.Add(list);
        }

        {
            var id = new Argument<string>("id") { Description = "Rule id." };
            var server = new FleetConnection();
            var delete = new Command("delete", "Delete a rule (its firing alerts are resolved).") { id, server };
            delete.SetAction((r, ct) => Guard(async registry =>
            {
                await registry.DeleteAlertRuleAsync(new DeleteAlertRuleRequest { Id = r.GetValue(id)! }, cancellationToken: ct);
                Console.WriteLine($"deleted {r.GetValue(id)}");
            }, r, server, ct));
            rules.Subcommands.Add(delete);
        }

        return rules;
    }

    /// <summary>The package's gate metrics online, each where the window scored any: "  |  top3 0.6667 on 3  cer 0.1154 wer 0.6000 on 3 texts  map@0.5 0.9167 on 2 images".</summary>
    private static string GateMetrics(VersionWindow w)
    {
        var parts = new List<string>();
        if (w.TopKSamples > 0)
        {
            parts.Add(Invariant($"top{w.TopK} {Number(w.TopKAccuracy, "F4")} on {w.TopKSamples}"));
        }

        if (w.Sequences > 0)
        {
            parts.Add(Invariant($"cer {Number(w.Cer, "F4")} wer {Number(w.Wer, "F4")} on {w.Sequences} texts"));
        }

        if (w.MapImages > 0)
        {
            parts.Add(Invariant($"map@{w.MapIouThreshold:0.##} {Number(w.Map, "F4")} on {w.MapImages} images"));
        }

        return parts.Count == 0 ? string.Empty : "  |  " + string.Join("  ", parts);
    }

    /// <summary>A monitor command over one version and a time range cut into windows: the query gets the request and returns what to print.</summary>
    private static Command WindowedQuery(
        string name, string description, int defaultWindowMinutes, string windowDescription,
        Func<RegistryService.RegistryServiceClient, VersionStatsRequest, CancellationToken, Task<(IMessage Answer, string Text)>> query)
    {
        var (model, version, minutes) = (ModelOption(), VersionOption(), MinutesOption());
        var window = new Option<int>("--window-minutes") { Description = windowDescription, DefaultValueFactory = _ => defaultWindowMinutes };
        var (server, json) = (new FleetConnection(), JsonFlag());
        var command = new Command(name, description) { model, version, minutes, window, server, json };
        command.SetAction((r, ct) => Guard(async registry =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var request = new VersionStatsRequest { Model = r.GetValue(model)!, Version = r.GetValue(version)!, FromUnixMs = now - (r.GetValue(minutes) * 60_000L), ToUnixMs = now, WindowSeconds = r.GetValue(window) * 60 };
            var (answer, text) = await query(registry, request, ct);
            Print(r.GetValue(json), answer, text);
        }, r, server, ct));
        return command;
    }

    /// <summary>One line per slice (totals against the card), then the slices' metric per window when there are several.</summary>
    private static string DescribeSlices(string title, SlicesResponse report)
    {
        if (report.Slices.Count == 0)
        {
            return $"{title}: the model card defines no slices";
        }

        var width = Math.Max("all predictions".Length, report.Slices.Max(s => s.Name.Length));
        var lines = new List<string> { Invariant($"{title}: slice  requests  labelled  online {report.MetricName} (model card)") };
        if (report.All is { } all)
        {
            lines.Add(Invariant($"  {"all predictions".PadRight(width)}  {all.Requests,8}  {all.GroundTruth,8}  {Number(all.OnlineMetric, "F4")}"));
        }

        foreach (var s in report.Slices)
        {
            var t = s.Total;
            var note = !s.HasPredicate ? "  (no predicate in the card: devices cannot tag it)"
                : Worse(report.MetricName, t.OnlineMetric, s.CardMetric) ? "  <- worse than the card" : string.Empty;
            lines.Add(Invariant($"  {s.Name.PadRight(width)}  {t.Requests,8}  {t.GroundTruth,8}  {Number(t.OnlineMetric, "F4")} ({Number(s.CardMetric, "F4")} on {s.CardCount}){note}"));
        }

        if (report.Slices[0].Windows.Count > 1)
        {
            lines.Add(Invariant($"  per window (UTC start): {string.Join("  |  ", report.Slices.Select(s => s.Name))}"));
            for (var w = 0; w < report.Slices[0].Windows.Count; w++)
            {
                lines.Add(Invariant($"    {DateTimeOffset.FromUnixTimeMilliseconds(report.Slices[0].Windows[w].FromUnixMs):yyyy-MM-dd HH:mm}  {string.Join("  |  ", report.Slices.Select(s => $"{Number(s.Windows[w].OnlineMetric, "F4")} on {s.Windows[w].GroundTruth}"))}"));
            }
        }

        return string.Join(Environment.NewLine, lines);

        // Accuracy 5 points below the card's, or MAE 10% above it: past what a few hundred labels can blur.
        static bool Worse(string metric, double online, double card) =>
            double.IsFinite(online) && double.IsFinite(card) && (metric == "mae" ? online > card * 1.10 : online < card - 0.05);
    }

    private static string DescribeRule(AlertRule r) => Invariant(
        $"{r.Id}  {r.Model} {(r.Version.Length == 0 ? "(live versions)" : r.Version)}  {r.Metric}{(r.Feature.Length > 0 ? $"({r.Feature})" : string.Empty)} {(r.Below ? "below" : "above")} {r.Threshold}  over {r.WindowSeconds} s, at least {r.MinSamples} samples");

    private static void Apply<T>(T? value, Action<T> set)
        where T : struct
    {
        if (value is { } given)
        {
            set(given);
        }
    }

    private static Option<string> ModelOption() => new("--model") { Description = "Model name.", Required = true };

    private static Option<string> VersionOption() => new("--version") { Description = "Model version.", Required = true };

    private static Option<int> MinutesOption() => new("--minutes") { Description = "How far back to look.", DefaultValueFactory = _ => 60 };

    private static string Number(double value, string format = "F0") => double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string HealthFigures(VersionHealth h) => h.Requests == 0 ? "no requests" : Invariant(
        $"{h.Requests} requests, {Errors(h.Requests, h.ErrorRate)}, latency p95 {Ms(h.LatencyP95Ms)} ms, {h.MetricName} {Number(h.OnlineMetric, "F4")} on {h.GroundTruth} labels");

    /// <summary>Every latency the CLI prints is in milliseconds with three decimals (microsecond resolution).</summary>
    private static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "-" : milliseconds.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>The error rate, or "no requests" when there is nothing to divide by.</summary>
    private static string Errors(long requests, double errorRate) =>
        requests == 0 ? "no requests" : (errorRate * 100).ToString("F2", CultureInfo.InvariantCulture) + "% errors";

    /// <summary>A time range as the data it covers: [from, until) in UTC.</summary>
    private static string Window(long fromUnixMs, long untilUnixMs)
    {
        var (from, until) = (DateTimeOffset.FromUnixTimeMilliseconds(fromUnixMs), DateTimeOffset.FromUnixTimeMilliseconds(untilUnixMs));
        return from.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "-" + until.ToString(until.Date == from.Date ? "HH:mm:ss" : "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }

    private static string PValue(FeatureDrift f) =>
        double.IsNaN(f.PValue) ? "- (too few)" : (f.PValue < 0.0001 ? "<0.0001" : f.PValue.ToString("F4", CultureInfo.InvariantCulture)) + $" ({f.Test})";

    private static string Verdict(FeatureDrift f) => f.Shifted ? "  <- shifted" : string.Empty;

    private static string Describe(Protos.V1.Rollout r)
    {
        var lines = new List<string>
        {
            Invariant($"{r.Id}  {r.Model} {r.Version}  {r.Strategy}  {r.State}  stage {r.CurrentStage + 1}/{r.Stages.Count} ({r.CurrentPercent}%)"),
            $"  devices: {r.TargetedDevices} targeted, {r.InstalledDevices} installed, {r.FailedDevices} failed ({r.TimedOutDevices} silent), {r.PendingDevices} pending",
            $"  baseline: {(r.BaselineVersion.Length == 0 ? "none" : r.BaselineVersion)}; on failure: {(r.OnFailure == FailureAction.Pause ? "pause" : "rollback")}",
            $"  reason: {r.StateReason}",
        };
        lines.AddRange(r.Health.Select(h => Invariant(
            $"  health {h.Version}{(h.Shadow ? " (shadow)" : string.Empty)} since the stage started ({(h.SinceUnixMs == 0 ? "-" : DateTimeOffset.FromUnixTimeMilliseconds(h.SinceUnixMs).ToString("HH:mm:ss", CultureInfo.InvariantCulture))} UTC): {HealthFigures(h)}")));
        lines.AddRange(r.Arms.Select(a => Invariant($"  arm {a.Version}: weight {a.Weight:F4} ({a.Successes} right of {a.Successes + a.Failures})")));
        lines.AddRange(GateFiguresText.RolloutLines(r));
        return string.Join(Environment.NewLine, lines);
    }

    private static string DescribeHistory(Protos.V1.Rollout r) =>
        "  history:" + string.Concat(r.History.Select(e => Environment.NewLine + Invariant(
            $"    {DateTimeOffset.FromUnixTimeMilliseconds(e.AtUnixMs).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC  {(e.Actor.Length == 0 ? "-" : e.Actor)}  {e.Action} -> {e.State}, stage {e.Stage + 1}: {e.Reason}{(e.Arms.Count == 0 ? string.Empty : "  [" + string.Join(", ", e.Arms.Select(a => Invariant($"{a.Version} {a.Weight:F4}"))) + "]")}")));

    internal static void Print(bool json, IMessage message, string text) => Console.WriteLine(json ? Json.Format(message) : text);

    internal static Option<bool> JsonFlag() => new("--json") { Description = "Print the server's answer as JSON." };

    private static Task<int> Guard(Func<RegistryService.RegistryServiceClient, Task> body, ParseResult result, FleetConnection connection, CancellationToken ct) =>
        GuardChannel(channel => body(new RegistryService.RegistryServiceClient(channel)), result, connection, ct);

    /// <summary>Runs <paramref name="body"/> over a channel (TLS per --ca/--client-cert) carrying the operator token (from --token-file, EDGE_OPERATOR_TOKEN or --token).</summary>
    internal static async Task<int> GuardChannel(Func<GrpcChannel, Task> body, ParseResult result, FleetConnection connection, CancellationToken ct) =>
        await CommonOptions.GuardAsync(async () =>
        {
            var secret = Secrets.Resolve(result.GetValue(connection.Token), "--token", result.GetValue(connection.TokenFile), "--token-file", "EDGE_OPERATOR_TOKEN");
            if (string.IsNullOrEmpty(secret))
            {
                Console.Error.WriteLine("error: Usage: no operator token: pass --token-file FILE or set EDGE_OPERATOR_TOKEN (--token works too, but a token in argv is visible in ps).");
                return 2;
            }

            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + secret);
                return Task.CompletedTask;
            });

            // https:// is checked against the system trust or --ca; http:// (h2c) is for a loopback server.
            var address = result.GetValue(connection.Server)!;
            using var channel = connection.Tls.Open(result, address, credentials);
            try
            {
                await body(channel);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                Console.Error.WriteLine($"error: Unavailable: cannot reach the update server at {address} (--server or EDGE_SERVER): {ex.Status.Detail}");
                return 2;
            }

            return 0;
        });

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
