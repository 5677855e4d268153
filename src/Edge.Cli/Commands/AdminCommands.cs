using System.CommandLine;
using System.Globalization;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.Cli.Commands;

/// <summary>
/// Admin verbs over the update server's AdminService: `edge audit`, `edge enrol create|list|revoke`,
/// `edge operators add|list|revoke|whoami` and `edge devices remove|reset|rotate|accept|reject|pending`.
/// </summary>
internal static class AdminCommands
{
    public static IEnumerable<Command> Create() => [Audit(), Enrol(), Operators(), WebhookCommands.Create()];

    /// <summary>The admin subcommands of `edge devices`.</summary>
    public static IEnumerable<Command> DeviceVerbs() =>
    [
        DeviceVerb("remove", "Delete a device: its credential stops working at once; it may enrol again only with an enrolment token.", (c, r, ct) => c.RemoveDeviceAsync(r, cancellationToken: ct).ResponseAsync),
        DeviceVerb("reset", "Clear a device's credential, keeping its record: it must enrol again with a fresh enrolment token.", (c, r, ct) => c.ResetDeviceAsync(r, cancellationToken: ct).ResponseAsync),
        DeviceVerb("rotate", "Hand the device a new credential at its next check-in; the old one works until the new one is first used.", (c, r, ct) => c.RotateDeviceAsync(r, cancellationToken: ct).ResponseAsync),
        DeviceVerb("accept", "Admit a device waiting for approval (EdgeDeploy:RequireDeviceApproval): its credential works from now on.", (c, r, ct) => c.AcceptDeviceAsync(r, cancellationToken: ct).ResponseAsync),
        DeviceVerb("reject", "Drop a device waiting for approval: its credential never works.", (c, r, ct) => c.RejectDeviceAsync(r, cancellationToken: ct).ResponseAsync),
        Pending(),
    ];

    private static Command Pending()
    {
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var command = new Command("pending", "List devices that enrolled and wait for an admin to accept them.") { server, json };
        command.SetAction((r, ct) => Guard(async admin =>
        {
            var list = await admin.ListPendingDevicesAsync(new ListPendingDevicesRequest(), cancellationToken: ct);
            var lines = list.Devices.Select(d =>
                $"{d.DeviceId}  enrolled {Time(d.RequestedUnixMs)}  runtime {d.RuntimeVersion}  tags [{string.Join(",", d.Tags)}]  "
                + string.Join(" ", d.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}")));
            FleetCommands.Print(r.GetValue(json), list, list.Devices.Count == 0 ? "no devices waiting" : string.Join(Environment.NewLine, lines));
        }, r, server, ct));
        return command;
    }

    private static Command DeviceVerb(string name, string description, Func<AdminService.AdminServiceClient, DeviceActionRequest, CancellationToken, Task<DeviceActionResponse>> call)
    {
        var id = new Argument<string>("device-id") { Description = "The device." };
        var reason = ReasonOption();
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var command = new Command(name, description + " Needs the admin role.") { id, reason, server, json };
        command.SetAction((r, ct) => Guard(async admin =>
        {
            var result = await call(admin, new DeviceActionRequest { DeviceId = r.GetValue(id)!, Reason = r.GetValue(reason) ?? string.Empty }, ct);
            FleetCommands.Print(r.GetValue(json), result, $"{result.DeviceId}: {result.Outcome}");
        }, r, server, ct));
        return command;
    }

    private static Command Audit()
    {
        var since = new Option<string>("--since") { Description = "How far back: a duration (30m, 24h, 7d) or a UTC time (2026-01-31T12:00:00Z).", DefaultValueFactory = _ => "7d" };
        var op = new Option<string?>("--operator") { Description = "Only this operator's entries." };
        var target = new Option<string?>("--target") { Description = "Only entries on this target, e.g. \"rollout r-1\" or \"device kiosk-1\"." };
        var limit = new Option<int>("--limit") { Description = "At most this many entries, newest first.", DefaultValueFactory = _ => 1000 };
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var command = new Command("audit", "The audit log: every mutating operator call (allowed or refused) with who, what, target, reason and outcome, newest first.")
        {
            since, op, target, limit, server, json,
        };
        command.SetAction((r, ct) => Guard(async admin =>
        {
            var request = new ListAuditRequest
            {
                SinceUnixMs = Since(r.GetValue(since)!),
                Operator = r.GetValue(op) ?? string.Empty,
                Target = r.GetValue(target) ?? string.Empty,
                Limit = r.GetValue(limit),
            };
            var log = await admin.ListAuditAsync(request, cancellationToken: ct);
            var lines = log.Entries.Select(e =>
                $"{Time(e.AtUnixMs)}  {e.Operator} ({e.Role})  {e.Action}  {(e.Target.Length == 0 ? "-" : e.Target)}  {e.Outcome}{(e.Reason.Length == 0 ? string.Empty : "  reason: " + e.Reason)}");
            FleetCommands.Print(r.GetValue(json), log, log.Entries.Count == 0 ? "no audit entries" : string.Join(Environment.NewLine, lines));
        }, r, server, ct));
        return command;
    }

    private static Command Enrol()
    {
        var enrol = new Command("enrol", "Enrolment tokens an admin controls: limited uses, an expiry, one device id; stored hashed, revocable.");
        enrol.Aliases.Add("enroll");

        {
            var description = new Option<string?>("--description") { Description = "What the token is for (shown in list)." };
            var maxUses = new Option<int>("--max-uses") { Description = "Registrations it allows (0: unlimited).", DefaultValueFactory = _ => 1 };
            var expiresIn = new Option<string>("--expires-in") { Description = "Lifetime: 30m, 24h, 7d, or never.", DefaultValueFactory = _ => "24h" };
            var device = new Option<string?>("--device") { Description = "Only this device id may register with it." };
            var output = new Option<string?>("--out") { Description = "Write the token to this new file (owner-only) instead of printing it." };
            var reason = ReasonOption();
            var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
            var create = new Command("create", "Issue an enrolment token (shown once). Needs the admin role.") { description, maxUses, expiresIn, device, output, reason, server, json };
            create.SetAction((r, ct) => Guard(async admin =>
            {
                var ttl = r.GetValue(expiresIn) is "never" or "0" ? 0 : (long)Duration(r.GetValue(expiresIn)!, "--expires-in").TotalSeconds;
                var created = await admin.CreateEnrollmentTokenAsync(
                    new CreateEnrollmentTokenRequest
                    {
                        Description = r.GetValue(description) ?? string.Empty,
                        MaxUses = r.GetValue(maxUses),
                        TtlSeconds = ttl,
                        DeviceId = r.GetValue(device) ?? string.Empty,
                        Reason = r.GetValue(reason) ?? string.Empty,
                    },
                    cancellationToken: ct);
                var text = Describe(created.Info);
                if (r.GetValue(output) is { } file)
                {
                    Secrets.CreateOwnerOnly(file, created.Token + "\n");
                    created.Token = string.Empty;
                    text += $"{Environment.NewLine}token written to {file} (owner-only)";
                }
                else
                {
                    text += $"{Environment.NewLine}token: {created.Token}{Environment.NewLine}(shown once; give it to the device as EDGE_ENROLLMENT_TOKEN or --enrollment-token-file)";
                }

                FleetCommands.Print(r.GetValue(json), created, text);
            }, r, server, ct));
            enrol.Subcommands.Add(create);
        }

        {
            var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
            var list = new Command("list", "List enrolment tokens: uses, expiry, device, revoked. Needs the admin role.") { server, json };
            list.SetAction((r, ct) => Guard(async admin =>
            {
                var all = await admin.ListEnrollmentTokensAsync(new ListEnrollmentTokensRequest(), cancellationToken: ct);
                FleetCommands.Print(r.GetValue(json), all, all.Tokens.Count == 0 ? "no enrolment tokens" : string.Join(Environment.NewLine, all.Tokens.Select(Describe)));
            }, r, server, ct));
            enrol.Subcommands.Add(list);
        }

        {
            var id = new Argument<string>("id") { Description = "Token id (et-...)." };
            var reason = ReasonOption();
            var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
            var revoke = new Command("revoke", "Revoke an enrolment token at once. Needs the admin role.") { id, reason, server, json };
            revoke.SetAction((r, ct) => Guard(async admin =>
            {
                var revoked = await admin.RevokeEnrollmentTokenAsync(new RevokeEnrollmentTokenRequest { Id = r.GetValue(id)!, Reason = r.GetValue(reason) ?? string.Empty }, cancellationToken: ct);
                FleetCommands.Print(r.GetValue(json), revoked, Describe(revoked));
            }, r, server, ct));
            enrol.Subcommands.Add(revoke);
        }

        return enrol;
    }

    private static Command Operators()
    {
        var operators = new Command("operators", "Named operator credentials with a role (viewer, deployer, admin).");

        {
            var name = new Argument<string>("name") { Description = "Operator name (letters, digits, . _ - @)." };
            var role = new Option<string>("--role") { Description = "viewer (read-only), deployer (publish, rollouts, alert rules) or admin (devices, enrolment, operators).", Required = true };
            var output = new Option<string?>("--out") { Description = "Write the token to this new file (owner-only) instead of printing it." };
            var reason = ReasonOption();
            var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
            var add = new Command("add", "Issue an operator credential (shown once). Needs the admin role.") { name, role, output, reason, server, json };
            add.SetAction((r, ct) => Guard(async admin =>
            {
                var created = await admin.CreateOperatorAsync(
                    new CreateOperatorRequest { Name = r.GetValue(name)!, Role = r.GetValue(role)!, Reason = r.GetValue(reason) ?? string.Empty }, cancellationToken: ct);
                var text = Describe(created.Operator);
                if (r.GetValue(output) is { } file)
                {
                    Secrets.CreateOwnerOnly(file, created.Token + "\n");
                    created.Token = string.Empty;
                    text += $"{Environment.NewLine}token written to {file} (owner-only)";
                }
                else
                {
                    text += $"{Environment.NewLine}token: {created.Token}{Environment.NewLine}(shown once; the operator uses it as EDGE_OPERATOR_TOKEN or --token-file)";
                }

                FleetCommands.Print(r.GetValue(json), created, text);
            }, r, server, ct));
            operators.Subcommands.Add(add);
        }

        {
            var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
            var list = new Command("list", "List operators and their roles. Needs the admin role.") { server, json };
            list.SetAction((r, ct) => Guard(async admin =>
            {
                var all = await admin.ListOperatorsAsync(new ListOperatorsRequest(), cancellationToken: ct);
                FleetCommands.Print(r.GetValue(json), all, all.Operators.Count == 0 ? "no named operators" : string.Join(Environment.NewLine, all.Operators.Select(Describe)));
            }, r, server, ct));
            operators.Subcommands.Add(list);
        }

        {
            var name = new Argument<string>("name") { Description = "Operator name." };
            var reason = ReasonOption();
            var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
            var revoke = new Command("revoke", "Revoke an operator's credential at once. Needs the admin role.") { name, reason, server, json };
            revoke.SetAction((r, ct) => Guard(async admin =>
            {
                var revoked = await admin.RevokeOperatorAsync(new RevokeOperatorRequest { Name = r.GetValue(name)!, Reason = r.GetValue(reason) ?? string.Empty }, cancellationToken: ct);
                FleetCommands.Print(r.GetValue(json), revoked, Describe(revoked));
            }, r, server, ct));
            operators.Subcommands.Add(revoke);
        }

        {
            var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
            var whoami = new Command("whoami", "Show the operator name and role of the token in use.") { server, json };
            whoami.SetAction((r, ct) => Guard(async admin =>
            {
                var me = await admin.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: ct);
                FleetCommands.Print(r.GetValue(json), me, $"{me.Name} ({me.Role})");
            }, r, server, ct));
            operators.Subcommands.Add(whoami);
        }

        return operators;
    }

    private static Option<string?> ReasonOption() => new("--reason") { Description = "Why (kept in the audit log)." };

    private static Task<int> Guard(Func<AdminService.AdminServiceClient, Task> body, ParseResult result, FleetConnection connection, CancellationToken ct) =>
        FleetCommands.GuardChannel(channel => body(new AdminService.AdminServiceClient(channel)), result, connection, ct);

    private static string Describe(EnrollmentTokenInfo t) =>
        $"{t.Id}  uses {t.Uses}/{(t.MaxUses == 0 ? "unlimited" : t.MaxUses.ToString(CultureInfo.InvariantCulture))}  "
        + $"expires {(t.ExpiresUnixMs == 0 ? "never" : Time(t.ExpiresUnixMs))}  device {(t.DeviceId.Length == 0 ? "any" : t.DeviceId)}  "
        + $"{(t.RevokedUnixMs == 0 ? "valid" : "revoked " + Time(t.RevokedUnixMs))}  by {t.CreatedBy}{(t.Description.Length == 0 ? string.Empty : "  " + t.Description)}";

    private static string Describe(OperatorInfo o) =>
        $"{o.Name}  {o.Role}  created by {o.CreatedBy} {Time(o.CreatedUnixMs)}  {(o.RevokedUnixMs == 0 ? "valid" : "revoked " + Time(o.RevokedUnixMs))}";

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("u", CultureInfo.InvariantCulture);

    /// <summary>A UTC time, or now minus a duration.</summary>
    private static long Since(string value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && value.Length > 4
            ? at.ToUnixTimeMilliseconds()
            : (DateTimeOffset.UtcNow - Duration(value, "--since")).ToUnixTimeMilliseconds();

    /// <summary>"90s", "30m", "24h", "7d".</summary>
    /// <exception cref="ArgumentException">Anything else.</exception>
    private static TimeSpan Duration(string value, string option)
    {
        if (value.Length >= 2 && long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 3650L * 24 * 3600)
        {
            switch (value[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        throw new ArgumentException($"{option} '{value}' is not a duration such as 90s, 30m, 24h or 7d.");
    }
}
