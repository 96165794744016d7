using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Webhooks;

public sealed record WebhookRequest(string? Url, List<string>? Events, bool? IsActive, string? Description);

public sealed record WebhookResponse(Guid Id, Guid OrganizationId, string Url, string Secret, List<string> Events, bool IsActive,
    string? Description, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static WebhookResponse From(WebhookEndpoint w) =>
        new(w.Id, w.OrganizationId, w.Url, w.Secret, w.Events, w.IsActive, w.Description, w.CreatedAt, w.UpdatedAt);
}

public sealed record WebhookDeliveryResponse(Guid Id, Guid EndpointId, Guid EventId, string EventType, string Status, int Attempts,
    DateTimeOffset? NextAttemptAt, int? LastStatusCode, string? LastError, long? LastDurationMs, DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt, JsonElement Payload)
{
    public static WebhookDeliveryResponse From(WebhookDelivery d) => new(d.Id, d.EndpointId, d.EventId, d.EventType, d.Status, d.Attempts,
        d.NextAttemptAt, d.LastStatusCode, d.LastError, d.LastDurationMs, d.CreatedAt, d.DeliveredAt, JsonDocument.Parse(d.Payload).RootElement.Clone());
}

/// <summary>An organization's webhooks and their delivery log: its admins only (like escalation rules).</summary>
public static class WebhooksApi
{
    public const int DefaultLogLimit = 50;
    public const int MaxLogLimit = 200;

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/webhooks").WithTags("Webhooks").RequireOrgRole(OrgRoles.Admin);
        group.MapGet("/", List);
        group.MapPost("/", Create);
        group.MapGet("/{webhookId:guid}", Get);
        group.MapPatch("/{webhookId:guid}", Update);
        group.MapDelete("/{webhookId:guid}", Delete);
        group.MapGet("/{webhookId:guid}/deliveries", Deliveries);
        group.MapPost("/{webhookId:guid}/deliveries/{deliveryId:guid}/redeliver", Redeliver);
        group.MapPost("/{webhookId:guid}/ping", Ping);
        group.MapPost("/{webhookId:guid}/rotate-secret", RotateSecret);
        return app;
    }

    private static async Task<Ok<List<WebhookResponse>>> List(HttpContext http, AppDbContext db, CancellationToken ct)
    {
        var hooks = await ListAsync(db, http.OrgId(), ct);
        return TypedResults.Ok(hooks.Select(WebhookResponse.From).ToList());
    }

    /// <summary>The organization's webhooks, oldest first (the API's list and the console page).</summary>
    public static Task<List<WebhookEndpoint>> ListAsync(AppDbContext db, Guid orgId, CancellationToken ct) =>
        db.WebhookEndpoints.AsNoTracking().Where(w => w.OrganizationId == orgId).OrderBy(w => w.CreatedAt).ToListAsync(ct);

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Get(HttpContext http, Guid webhookId, AppDbContext db, CancellationToken ct) =>
        await FindAsync(http, webhookId, db, ct) is { } hook ? TypedResults.Ok(WebhookResponse.From(hook)) : WebhookNotFound(webhookId);

    private static async Task<Results<Created<WebhookResponse>, ValidationProblem>> Create(
        HttpContext http, WebhookRequest request, AppDbContext db, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        var errors = await ValidateAsync(request, creating: true, options.Value, ct);
        if (errors.Count > 0) return Problems.Invalid(errors);
        var hook = new WebhookEndpoint { OrganizationId = http.OrgId(), Url = "", Secret = WebhookEndpoint.NewSecret() };
        Apply(hook, request); // sets the url: validated as present above
        db.WebhookEndpoints.Add(hook);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/orgs/{hook.OrganizationId}/webhooks/{hook.Id}", WebhookResponse.From(hook));
    }

    private static async Task<Results<Ok<WebhookResponse>, ValidationProblem, ProblemHttpResult>> Update(
        HttpContext http, Guid webhookId, WebhookRequest request, AppDbContext db, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        var hook = await FindAsync(http, webhookId, db, ct, tracking: true);
        if (hook is null) return WebhookNotFound(webhookId);
        var errors = await ValidateAsync(request, creating: false, options.Value, ct);
        if (errors.Count > 0) return Problems.Invalid(errors);
        Apply(hook, request);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(WebhookResponse.From(hook));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(HttpContext http, Guid webhookId, AppDbContext db, CancellationToken ct)
    {
        var orgId = http.OrgId();
        // Its deliveries go with it (ON DELETE CASCADE): the log belongs to the endpoint.
        return await db.WebhookEndpoints.Where(w => w.Id == webhookId && w.OrganizationId == orgId).ExecuteDeleteAsync(ct) > 0
            ? TypedResults.NoContent()
            : WebhookNotFound(webhookId);
    }

    private static async Task<Results<Ok<List<WebhookDeliveryResponse>>, ValidationProblem, ProblemHttpResult>> Deliveries(
        HttpContext http, Guid webhookId, string? status, int? limit, AppDbContext db, CancellationToken ct)
    {
        if (status is not null && !DeliveryStatus.All.Contains(status))
        {
            return Problems.Invalid("status", $"status must be one of {string.Join(", ", DeliveryStatus.All)}.");
        }
        if (limit is < 1 or > MaxLogLimit) return Problems.Invalid("limit", $"limit must be between 1 and {MaxLogLimit}.");
        if (await FindAsync(http, webhookId, db, ct) is null) return WebhookNotFound(webhookId);
        var query = db.WebhookDeliveries.AsNoTracking().Where(d => d.EndpointId == webhookId);
        if (status is not null) query = query.Where(d => d.Status == status);
        var deliveries = await query.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).Take(limit ?? DefaultLogLimit).ToListAsync(ct);
        return TypedResults.Ok(deliveries.Select(WebhookDeliveryResponse.From).ToList());
    }

    /// <summary>The same event (same id and body) sent again to this endpoint, as a new delivery with its own attempts.</summary>
    private static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> Redeliver(
        HttpContext http, Guid webhookId, Guid deliveryId, AppDbContext db, WebhookOutbox outbox, CancellationToken ct)
    {
        var orgId = http.OrgId();
        // The request path decides what the admin may redeliver; the trusted path writes it (admins only read deliveries).
        var original = await db.WebhookDeliveries.AsNoTracking()
            .SingleOrDefaultAsync(d => d.Id == deliveryId && d.EndpointId == webhookId && d.OrganizationId == orgId, ct);
        if (original is null) return Problems.NotFound("deliveryId", $"Delivery {deliveryId} of webhook {webhookId} does not exist in this organization.");
        var copy = await outbox.WriteOneAsync(orgId, webhookId, original.EventId, original.EventType, original.Payload, ct);
        return TypedResults.Accepted($"/api/orgs/{orgId}/webhooks/{webhookId}/deliveries", WebhookDeliveryResponse.From(copy));
    }

    private static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> Ping(
        HttpContext http, Guid webhookId, AppDbContext db, WebhookOutbox outbox, CancellationToken ct)
    {
        var orgId = http.OrgId();
        if (await PingAsync(db, outbox, orgId, webhookId, ct) is not { } delivery) return WebhookNotFound(webhookId);
        return TypedResults.Accepted($"/api/orgs/{orgId}/webhooks/{webhookId}/deliveries", WebhookDeliveryResponse.From(delivery));
    }

    /// <summary>
    /// Queues a ping to the organization's webhook, or returns null when it has no such webhook. The request-path
    /// <paramref name="db"/> decides whether the caller may see the endpoint; the outbox writes the delivery.
    /// </summary>
    public static async Task<WebhookDelivery?> PingAsync(AppDbContext db, WebhookOutbox outbox, Guid orgId, Guid webhookId, CancellationToken ct)
    {
        if (!await db.WebhookEndpoints.AnyAsync(w => w.Id == webhookId && w.OrganizationId == orgId, ct)) return null;
        var (eventId, payload) = WebhookOutbox.Payload(orgId, WebhookEvents.Ping,
            new JsonObject { ["webhookId"] = webhookId, ["message"] = "Switchboard can reach this endpoint." });
        return await outbox.WriteOneAsync(orgId, webhookId, eventId, WebhookEvents.Ping, payload, ct);
    }

    /// <summary>A new secret, effective for every attempt from now on (pending retries are signed with it too).</summary>
    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> RotateSecret(HttpContext http, Guid webhookId, AppDbContext db, CancellationToken ct)
    {
        var hook = await FindAsync(http, webhookId, db, ct, tracking: true);
        if (hook is null) return WebhookNotFound(webhookId);
        hook.Secret = WebhookEndpoint.NewSecret();
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(WebhookResponse.From(hook));
    }

    private static Task<WebhookEndpoint?> FindAsync(HttpContext http, Guid webhookId, AppDbContext db, CancellationToken ct, bool tracking = false)
    {
        var orgId = http.OrgId();
        var query = tracking ? db.WebhookEndpoints : db.WebhookEndpoints.AsNoTracking();
        return query.SingleOrDefaultAsync(w => w.Id == webhookId && w.OrganizationId == orgId, ct);
    }

    private static void Apply(WebhookEndpoint hook, WebhookRequest request)
    {
        if (request.Url is not null) hook.Url = request.Url.Trim();
        if (request.Events is not null) hook.Events = [.. request.Events.Distinct(StringComparer.Ordinal)];
        if (request.IsActive is not null) hook.IsActive = request.IsActive.Value;
        if (request.Description is not null) hook.Description = request.Description.Trim() is { Length: > 0 } d ? d : null;
    }

    private static async Task<Dictionary<string, string[]>> ValidateAsync(WebhookRequest r, bool creating, WebhookOptions options, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if ((creating || r.Url is not null) && await WebhookAddresses.ProblemAsync(r.Url, options, ct) is { } urlProblem) errors["url"] = [urlProblem];
        if (creating && r.Events is null) errors["events"] = [$"events is required: one or more of {string.Join(", ", WebhookEvents.All)}."];
        else if (r.Events is { Count: 0 }) errors["events"] = [$"events must name at least one of {string.Join(", ", WebhookEvents.All)}."];
        else if (r.Events is not null)
        {
            for (var i = 0; i < r.Events.Count; i++)
            {
                if (!WebhookEvents.All.Contains(r.Events[i]))
                {
                    errors[$"events[{i}]"] = [$"\"{r.Events[i]}\" is not an event; use {string.Join(", ", WebhookEvents.All)}."];
                }
            }
        }
        if (r.Description is { Length: > 500 }) errors["description"] = ["description is longer than 500 characters."];
        return errors;
    }

    private static ProblemHttpResult WebhookNotFound(Guid id) => Problems.NotFound("webhookId", $"Webhook {id} does not exist in this organization.");
}
