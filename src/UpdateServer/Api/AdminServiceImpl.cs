using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Operators;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>
/// The administration API: operators, enrolment tokens, device credentials and the audit log. Roles are checked and
/// mutating calls audited by <see cref="OperatorInterceptor"/> before a method runs; the caller is <see cref="OperatorIdentity.Of"/>.
/// </summary>
internal sealed class AdminServiceImpl(
    IUpdateStore store,
    OperatorAdministration operators,
    EnrollmentTokens enrollment,
    DeviceAdministration devices,
    WebhookService webhooks,
    UpdateServerOptions options)
    : AdminService.AdminServiceBase
{
    /// <summary>Most audit entries one query returns.</summary>
    public const int MaxAuditEntries = 10_000;

    public override Task<OperatorInfo> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        var op = OperatorIdentity.Of(context);
        return Task.FromResult(new OperatorInfo { Name = op.Name, Role = op.Role.Name() });
    }

    public override async Task<CreateOperatorResponse> CreateOperator(CreateOperatorRequest request, ServerCallContext context)
    {
        var (record, token) = await operators.CreateAsync(request.Name, request.Role, OperatorIdentity.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new CreateOperatorResponse { Operator = ToMessage(record), Token = token };
    }

    public override async Task<ListOperatorsResponse> ListOperators(ListOperatorsRequest request, ServerCallContext context)
    {
        var response = new ListOperatorsResponse();
        response.Operators.AddRange((await operators.ListAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToMessage));
        return response;
    }

    public override async Task<OperatorInfo> RevokeOperator(RevokeOperatorRequest request, ServerCallContext context) =>
        ToMessage(await operators.RevokeAsync(request.Name, context.CancellationToken).ConfigureAwait(false));

    public override async Task<ListAuditResponse> ListAudit(ListAuditRequest request, ServerCallContext context)
    {
        if (request.Limit < 0 || request.SinceUnixMs < 0)
        {
            throw RejectedException.Invalid("limit and since_unix_ms must not be negative.");
        }

        var query = new AuditQuery(request.SinceUnixMs, request.Operator, request.Target, request.Limit == 0 ? 1000 : Math.Min(request.Limit, MaxAuditEntries));
        var response = new ListAuditResponse();
        response.Entries.AddRange((await store.ListAuditAsync(query, context.CancellationToken).ConfigureAwait(false)).Select(e => new AuditEntry
        {
            Id = e.Id,
            AtUnixMs = e.AtUnixMs,
            Operator = e.Operator,
            Role = e.Role,
            Action = e.Action,
            Target = e.Target,
            Reason = e.Reason,
            Outcome = e.Outcome,
        }));
        return response;
    }

    public override async Task<CreateEnrollmentTokenResponse> CreateEnrollmentToken(CreateEnrollmentTokenRequest request, ServerCallContext context)
    {
        var (record, token) = await enrollment.CreateAsync(
            request.Description, request.MaxUses, request.TtlSeconds, request.DeviceId, OperatorIdentity.Of(context).Name, options, context.CancellationToken).ConfigureAwait(false);
        return new CreateEnrollmentTokenResponse { Info = ToMessage(record), Token = token };
    }

    public override async Task<ListEnrollmentTokensResponse> ListEnrollmentTokens(ListEnrollmentTokensRequest request, ServerCallContext context)
    {
        var response = new ListEnrollmentTokensResponse();
        response.Tokens.AddRange((await enrollment.ListAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToMessage));
        return response;
    }

    public override async Task<EnrollmentTokenInfo> RevokeEnrollmentToken(RevokeEnrollmentTokenRequest request, ServerCallContext context) =>
        ToMessage(await enrollment.RevokeAsync(request.Id, context.CancellationToken).ConfigureAwait(false));

    public override async Task<DeviceActionResponse> RemoveDevice(DeviceActionRequest request, ServerCallContext context)
    {
        await devices.RemoveAsync(request.DeviceId, OperatorIdentity.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new DeviceActionResponse { DeviceId = request.DeviceId, Outcome = "removed: its credential no longer works; it may enrol again only with an enrollment token" };
    }

    public override async Task<DeviceActionResponse> ResetDevice(DeviceActionRequest request, ServerCallContext context)
    {
        await devices.ResetAsync(request.DeviceId, OperatorIdentity.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new DeviceActionResponse { DeviceId = request.DeviceId, Outcome = "reset: its credential no longer works; it must enrol again with an enrollment token" };
    }

    public override async Task<DeviceActionResponse> RotateDevice(DeviceActionRequest request, ServerCallContext context)
    {
        await devices.RotateAsync(request.DeviceId, OperatorIdentity.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new DeviceActionResponse { DeviceId = request.DeviceId, Outcome = "rotation pending: a new credential is handed out at its next check-in" };
    }

    public override async Task<ListPendingDevicesResponse> ListPendingDevices(ListPendingDevicesRequest request, ServerCallContext context)
    {
        var response = new ListPendingDevicesResponse();
        foreach (var p in await devices.PendingAsync(context.CancellationToken).ConfigureAwait(false))
        {
            var message = new PendingDevice { DeviceId = p.DeviceId, RuntimeVersion = p.RuntimeVersion, RequestedUnixMs = p.RequestedUnixMs };
            message.Attributes.Add(p.Attributes.ToDictionary());
            message.Tags.AddRange(p.Tags);
            response.Devices.Add(message);
        }

        return response;
    }

    public override async Task<DeviceActionResponse> AcceptDevice(DeviceActionRequest request, ServerCallContext context)
    {
        await devices.AcceptAsync(request.DeviceId, OperatorIdentity.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new DeviceActionResponse { DeviceId = request.DeviceId, Outcome = "accepted: its credential works from its next call" };
    }

    public override async Task<DeviceActionResponse> RejectDevice(DeviceActionRequest request, ServerCallContext context)
    {
        await devices.RejectAsync(request.DeviceId, OperatorIdentity.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new DeviceActionResponse { DeviceId = request.DeviceId, Outcome = "rejected: its credential never works; it may enrol again only with an enrollment token" };
    }

    private static OperatorInfo ToMessage(OperatorRecord o) =>
        new() { Name = o.Name, Role = o.Role, CreatedBy = o.CreatedBy, CreatedUnixMs = o.CreatedUnixMs, RevokedUnixMs = o.RevokedUnixMs ?? 0 };

    private static EnrollmentTokenInfo ToMessage(EnrollmentTokenRecord t) => new()
    {
        Id = t.Id,
        Description = t.Description,
        DeviceId = t.DeviceId,
        MaxUses = t.MaxUses,
        Uses = t.Uses,
        ExpiresUnixMs = t.ExpiresUnixMs,
        CreatedBy = t.CreatedBy,
        CreatedUnixMs = t.CreatedUnixMs,
        RevokedUnixMs = t.RevokedUnixMs ?? 0,
    };

    public override async Task<CreateWebhookResponse> CreateWebhook(CreateWebhookRequest request, ServerCallContext context)
    {
        var (webhook, secret) = await webhooks.CreateAsync(
            request.Url, request.EventTypes, request.Models, request.Metrics, request.Description, OperatorIdentity.Of(context).Name, context.CancellationToken).ConfigureAwait(false);
        return new CreateWebhookResponse { Webhook = ToMessage(webhook), Secret = secret };
    }

    public override async Task<ListWebhooksResponse> ListWebhooks(ListWebhooksRequest request, ServerCallContext context)
    {
        var response = new ListWebhooksResponse();
        response.Webhooks.AddRange((await webhooks.ListAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToMessage));
        return response;
    }

    public override async Task<WebhookInfo> RemoveWebhook(RemoveWebhookRequest request, ServerCallContext context) =>
        ToMessage(await webhooks.RemoveAsync(request.Id, OperatorIdentity.Of(context).Name, context.CancellationToken).ConfigureAwait(false));

    public override async Task<ListWebhookDeliveriesResponse> ListWebhookDeliveries(ListWebhookDeliveriesRequest request, ServerCallContext context)
    {
        var response = new ListWebhookDeliveriesResponse();
        response.Deliveries.AddRange((await webhooks.DeliveriesAsync(request.WebhookId, request.DeadOnly, request.Limit, context.CancellationToken).ConfigureAwait(false)).Select(ToMessage));
        return response;
    }

    public override async Task<WebhookDelivery> RedeliverWebhook(RedeliverWebhookRequest request, ServerCallContext context) =>
        ToMessage(await webhooks.RedeliverAsync(request.Id, context.CancellationToken).ConfigureAwait(false));

    /// <summary>A webhook as operators see it: never its secret.</summary>
    private static WebhookInfo ToMessage(WebhookRecord w)
    {
        var message = new WebhookInfo { Id = w.Id, Url = w.Url, Description = w.Description, CreatedBy = w.CreatedBy, CreatedUnixMs = w.CreatedUnixMs };
        message.EventTypes.AddRange(w.EventTypes);
        message.Models.AddRange(w.Models);
        message.Metrics.AddRange(w.Metrics);
        return message;
    }

    private static WebhookDelivery ToMessage(WebhookDeliveryRecord d) => new()
    {
        Id = d.Id,
        WebhookId = d.WebhookId,
        EventType = d.EventType,
        AlertId = d.AlertId,
        State = d.State,
        Attempts = d.Attempts,
        QueuedUnixMs = d.CreatedUnixMs,
        NextAttemptUnixMs = d.State == WebhookDeliveryRecord.Pending ? d.NextAttemptUnixMs : 0,
        LastStatus = d.LastStatus,
        LastError = d.LastError,
        DeliveredUnixMs = d.DeliveredUnixMs ?? 0,
        Payload = d.Payload,
    };
}
