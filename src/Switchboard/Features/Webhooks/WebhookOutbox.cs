using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Conversations;

namespace Switchboard.Features.Webhooks;

/// <summary>Wakes this node's delivery worker as soon as a delivery is written here (other nodes poll).</summary>
public sealed class WebhookSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _channel.Writer.TryWrite(true);

    /// <summary>Returns when woken or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }
}

/// <summary>
/// Writes webhook deliveries (the outbox) on the trusted path: one row per subscribed, active endpoint
/// of the event's organization, with the exact JSON body that will be POSTed and retried.
/// </summary>
public sealed class WebhookOutbox(SystemDb systemDb, WebhookSignal signal)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Writes the event for every endpoint that wants it; returns how many deliveries were written.</summary>
    public async Task<int> WriteAsync(Guid organizationId, string eventType, Func<AppDbContext, Task<JsonObject>> data, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var endpoints = await db.WebhookEndpoints.AsNoTracking()
            .Where(w => w.OrganizationId == organizationId && w.IsActive && w.Events.Contains(eventType))
            .Select(w => w.Id).ToListAsync(ct);
        if (endpoints.Count == 0) return 0;
        var (eventId, payload) = Payload(organizationId, eventType, await data(db));
        foreach (var endpoint in endpoints)
        {
            db.WebhookDeliveries.Add(NewDelivery(organizationId, endpoint, eventId, eventType, payload));
        }
        await db.SaveChangesAsync(ct);
        signal.Wake();
        return endpoints.Count;
    }

    /// <summary>A delivery to one endpoint regardless of its subscriptions (ping, redelivery).</summary>
    public async Task<WebhookDelivery> WriteOneAsync(Guid organizationId, Guid endpointId, Guid eventId, string eventType, string payload, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var delivery = NewDelivery(organizationId, endpointId, eventId, eventType, payload);
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        signal.Wake();
        return delivery;
    }

    public static (Guid EventId, string Payload) Payload(Guid organizationId, string eventType, JsonObject data)
    {
        var eventId = Guid.CreateVersion7();
        var payload = new JsonObject
        {
            ["id"] = eventId,
            ["type"] = eventType,
            ["createdAt"] = DateTimeOffset.UtcNow,
            ["organizationId"] = organizationId,
            ["data"] = data,
        };
        return (eventId, payload.ToJsonString(Json));
    }

    private static WebhookDelivery NewDelivery(Guid organizationId, Guid endpointId, Guid eventId, string eventType, string payload) => new()
    {
        OrganizationId = organizationId, EndpointId = endpointId, EventId = eventId, EventType = eventType, Payload = payload,
        Status = DeliveryStatus.Pending, NextAttemptAt = DateTimeOffset.UtcNow,
    };
}

/// <summary>
/// Turns session events of this node's event bus into webhook deliveries. Only durable facts become
/// webhooks (visible messages, escalation, assignment, resolution); typing and streamed tokens are ignored.
/// The outbox starts at the row: an event published but not yet written when the process dies is not delivered.
/// </summary>
public sealed class WebhookEventWriter(IEventBus bus, WebhookOutbox outbox, ILogger<WebhookEventWriter> logger) : BackgroundService
{
    /// <summary>Events waiting to be written; a burst beyond this drops the oldest (and logs nothing else: see docs/webhooks.md).</summary>
    private const int Capacity = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = bus.SubscribeAll(Capacity);
        await foreach (var e in subscription.Reader.ReadAllAsync(stoppingToken))
        {
            await HandleAsync(e, stoppingToken);
        }
    }

    private async Task HandleAsync(SessionEvent e, CancellationToken ct)
    {
        try
        {
            var (type, extra) = e switch
            {
                MessageCreated { Internal: false } m => (WebhookEvents.MessageCreated, (Func<AppDbContext, JsonObject, Task>)((_, data) =>
                {
                    data["message"] = JsonSerializer.SerializeToNode(m.Message, WebhookOutbox.Json);
                    return Task.CompletedTask;
                })),
                StatusChanged { Status: SessionStatus.Escalated } => (WebhookEvents.SessionEscalated, (db, data) => AddEscalationAsync(db, e.SessionId, data, ct)),
                StatusChanged { Status: SessionStatus.Resolved } => (WebhookEvents.SessionResolved, (_, _) => Task.CompletedTask),
                SessionAssigned { AgentId: { } agentId } a => (WebhookEvents.SessionAssigned, (_, data) =>
                {
                    data["agent"] = new JsonObject { ["id"] = agentId, ["name"] = a.AgentName };
                    return Task.CompletedTask;
                }),
                _ => (null, null),
            };
            if (type is null || extra is null) return;
            await outbox.WriteAsync(e.OrganizationId, type, async db =>
            {
                var data = new JsonObject { ["session"] = await SessionAsync(db, e.SessionId, ct) };
                await extra(db, data);
                return data;
            }, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not write the webhook deliveries of {Event} in session {Session}", e.GetType().Name, e.SessionId);
        }
    }

    private static async Task<JsonNode?> SessionAsync(AppDbContext db, Guid sessionId, CancellationToken ct)
    {
        var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId)
            .Select(s => new { s.Id, s.Status, s.CustomerContext, s.CreatedAt, s.UpdatedAt }).SingleOrDefaultAsync(ct);
        if (session is null) return null;
        return new JsonObject
        {
            ["id"] = session.Id,
            ["status"] = session.Status,
            ["customerContext"] = JsonNode.Parse(string.IsNullOrEmpty(session.CustomerContext) ? "{}" : session.CustomerContext),
            ["createdAt"] = session.CreatedAt,
            ["updatedAt"] = session.UpdatedAt,
        };
    }

    /// <summary>
    /// The "escalation" object ({rule, reason}) of the system message that announced this escalation.
    /// Escalations stores that message before it publishes the status event, so one read finds it.
    /// </summary>
    private static async Task AddEscalationAsync(AppDbContext db, Guid sessionId, JsonObject data, CancellationToken ct)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-30);
        var metadata = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId && m.MessageType == MessageTypes.System && m.CreatedAt >= since)
            .OrderByDescending(m => m.Seq).Select(m => m.AiMetadata).Take(5).ToListAsync(ct);
        foreach (var json in metadata)
        {
            if (!string.IsNullOrEmpty(json) && JsonNode.Parse(json) is JsonObject o && o["escalation"] is JsonObject escalation)
            {
                data["escalation"] = escalation.DeepClone();
                return;
            }
        }
        data["escalation"] = null;
    }
}
