namespace Switchboard.Features.Webhooks;

/// <summary>The events an endpoint can subscribe to (<see cref="Ping"/> is sent on request only).</summary>
public static class WebhookEvents
{
    public const string SessionEscalated = "session.escalated";
    public const string SessionAssigned = "session.assigned";
    public const string SessionResolved = "session.resolved";
    public const string MessageCreated = "message.created";
    public const string Ping = "ping";
    public static readonly string[] All = [SessionEscalated, SessionAssigned, SessionResolved, MessageCreated];
}

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public static readonly string[] All = [Pending, Succeeded, Failed];
}

/// <summary>An organization's receiver of signed event POSTs (table webhook_endpoints).</summary>
public sealed class WebhookEndpoint
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string Url { get; set; }

    /// <summary>The HMAC-SHA256 key of the signature header; generated, shown to the organization's admins.</summary>
    public required string Secret { get; set; }

    public List<string> Events { get; set; } = [];
    public bool IsActive { get; set; } = true;
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    public static string NewSecret() => "whsec_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
}

/// <summary>One event on its way to one endpoint, and the outcome of its last attempt (table webhook_deliveries: the outbox and the delivery log).</summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid EndpointId { get; set; }

    /// <summary>The event's id (the payload's "id"): the same for every endpoint and every redelivery, for receivers to deduplicate.</summary>
    public Guid EventId { get; set; }
    public required string EventType { get; set; }

    /// <summary>The exact JSON body POSTed, fixed when the event is written.</summary>
    public required string Payload { get; set; }

    public string Status { get; set; } = DeliveryStatus.Pending;
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>A worker holds the delivery until then; another node may take it after (a crashed worker's claim expires).</summary>
    public DateTimeOffset? LockedUntil { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public long? LastDurationMs { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? DeliveredAt { get; set; }
}
