using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;
using Switchboard.Tenancy;

namespace Switchboard.Features.Widget;

public sealed record WidgetCustomer(string? ExternalId, string? Name, string? Email, string? UserHash);

public sealed record StartWidgetSessionRequest(string? OrgKey, WidgetCustomer? Customer, JsonElement? Context);

public sealed record StartWidgetSessionResponse(string SessionToken, Guid SessionId);

public sealed record PostWidgetMessageRequest(string? ClientMessageId, string? Content);

public sealed record WidgetMessagesResponse(List<MessageResponse> Messages);

public sealed record WidgetFeedbackRequest(Guid? MessageId, bool? Helpful);

public sealed record EscalationResponse(string Status, bool AlreadyEscalated);

/// <summary>What a widget request knows about its session.</summary>
public sealed record WidgetSession(Guid Id, Guid OrganizationId, string? Status);

/// <summary>
/// The public widget API. A customer is anonymous; the session token is their only credential,
/// and it becomes the request's principal before anything touches the database.
/// </summary>
public static class WidgetApi
{
    public const int MaxContextBytes = 8 * 1024;

    public static IEndpointRouteBuilder MapWidgetApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/widget/sessions").WithTags("Widget").AllowAnonymous();
        group.MapPost("/", Start).RequireRateLimiting(WidgetSetup.SessionStartPolicy);
        group.MapPost("/{token}/messages", Post).RequireRateLimiting(WidgetSetup.SessionWritePolicy);
        group.MapGet("/{token}/messages", Messages);
        group.MapGet("/{token}/events", WidgetEvents.StreamAsync).ExcludeFromDescription();
        group.MapPost("/{token}/feedback", Feedback).RequireRateLimiting(WidgetSetup.SessionWritePolicy);
        group.MapPost("/{token}/csat", Features.Analytics.CsatApi.RateAsync).RequireRateLimiting(WidgetSetup.SessionWritePolicy);
        group.MapPost("/{token}/escalate", Escalate).RequireRateLimiting(WidgetSetup.SessionWritePolicy);
        group.MapPost("/{token}/typing", Typing).RequireRateLimiting(WidgetSetup.SessionWritePolicy);
        return app;
    }

    private static async Task<Results<Created<StartWidgetSessionResponse>, ValidationProblem, ProblemHttpResult>> Start(
        HttpContext http, StartWidgetSessionRequest request, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.OrgKey)) return Problems.Invalid("orgKey", "orgKey is required: the data-org-key of the widget script.");
        if (request.Context is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
        {
            return Problems.Invalid("context", "context must be a JSON object.");
        }
        if (request.Context is { ValueKind: JsonValueKind.Object } raw && System.Text.Encoding.UTF8.GetByteCount(raw.GetRawText()) > MaxContextBytes)
        {
            return Problems.Invalid("context", $"context is larger than {MaxContextBytes} bytes.");
        }
        var org = await systemDb.OrganizationByWidgetKeyAsync(request.OrgKey, ct);
        if (org is null) return Problems.NotFound("orgKey", "No organization has this widget key; copy it again from the console.");
        if (OriginRefused(http, org.AllowedOrigins) is { } refused) return refused;

        var context = request.Context is { ValueKind: JsonValueKind.Object } c ? JsonNode.Parse(c.GetRawText())!.AsObject() : [];
        if (request.Customer is { } customer)
        {
            if (!string.IsNullOrEmpty(customer.ExternalId))
            {
                if (!IsValidHash(customer.ExternalId, customer.UserHash, org.IdentitySecret))
                {
                    return TypedResults.Problem("userHash does not match externalId: compute HMAC-SHA256(externalId) with the organization's identity secret, hex-encoded.",
                        statusCode: StatusCodes.Status401Unauthorized, title: "Customer identity not verified",
                        extensions: new Dictionary<string, object?> { ["field"] = "customer.userHash" });
                }
                context["externalId"] = customer.ExternalId;
                context["verified"] = true;
            }
            if (customer.Name is not null) context["name"] = customer.Name;
            if (customer.Email is not null) context["email"] = customer.Email;
        }

        var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken(), CustomerContext = context.ToJsonString() };
        principal.SessionToken = session.SessionToken; // the row-level-security check names this token
        db.Sessions.Add(session);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/widget/sessions/{session.SessionToken}/messages", new StartWidgetSessionResponse(session.SessionToken, session.Id));
    }

    private static async Task<Results<Created<PostedMessage>, Ok<PostedMessage>, ValidationProblem, ProblemHttpResult>> Post(
        HttpContext http, string token, PostWidgetMessageRequest request, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb,
        CustomerMessages accepted, CancellationToken ct)
    {
        var errors = MessageLog.Validate(request.Content, request.ClientMessageId);
        if (string.IsNullOrWhiteSpace(request.ClientMessageId)) errors["clientMessageId"] = ["clientMessageId is required, so that a retry does not post twice."];
        if (errors.Count > 0) return Problems.Invalid(errors);
        var (session, problem) = await ResolveAsync(http, token, principal, db, systemDb, ct);
        if (session is null) return problem!;
        var posted = await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, request.Content!, request.ClientMessageId, null, ct);
        if (!posted.Duplicate)
        {
            await accepted.AcceptedAsync(db, session.OrganizationId, session.Id, posted.Seq, ct);
        }
        return posted.Duplicate ? TypedResults.Ok(posted) : TypedResults.Created($"/api/widget/sessions/{token}/messages?after={posted.Seq - 1}", posted);
    }

    private static async Task<Results<Ok<WidgetMessagesResponse>, ProblemHttpResult>> Messages(
        HttpContext http, string token, long? after, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb, CancellationToken ct)
    {
        var (session, problem) = await ResolveAsync(http, token, principal, db, systemDb, ct);
        if (session is null) return problem!;
        return TypedResults.Ok(new WidgetMessagesResponse(await MessageLog.ListAsync(db, session.Id, after ?? 0, ct)));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Feedback(
        HttpContext http, string token, WidgetFeedbackRequest request, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb,
        ArticleOutcomes outcomes, CancellationToken ct)
    {
        if (request.MessageId is not { } messageId) return Problems.Invalid("messageId", "messageId is required: the AI message being rated.");
        if (request.Helpful is not { } helpful) return Problems.Invalid("helpful", "helpful is required: true or false.");
        var (session, problem) = await ResolveAsync(http, token, principal, db, systemDb, ct);
        if (session is null) return problem!;
        // Customers may not update messages on the request path (seed: they view their history), so the
        // rating (and the outcome of the articles the answer cited) is written on the trusted path, for
        // a message of this session only.
        return await outcomes.FeedbackAsync(session.Id, messageId, helpful, ct) switch
        {
            ArticleOutcomes.FeedbackResult.MessageNotFound => Problems.NotFound("messageId", $"Message {messageId} is not in this chat."),
            ArticleOutcomes.FeedbackResult.NotAnAiAnswer => Problems.Invalid("messageId", "Only AI answers can be rated."),
            _ => TypedResults.NoContent(),
        };
    }

    private static async Task<Results<Ok<EscalationResponse>, ProblemHttpResult>> Escalate(
        HttpContext http, string token, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb, Escalations escalations, CancellationToken ct)
    {
        var (session, problem) = await ResolveAsync(http, token, principal, db, systemDb, ct);
        if (session is null) return problem!;
        if (session.Status == SessionStatus.Resolved)
        {
            return Problems.Conflict("token", "This chat is resolved; start a new chat to talk to us again.");
        }
        var result = await escalations.CustomerAskedAsync(session.OrganizationId, session.Id, ct);
        return TypedResults.Ok(new EscalationResponse(SessionStatus.Escalated, AlreadyEscalated: result.Status != EscalateStatus.Escalated));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Typing(
        HttpContext http, string token, TypingRequest request, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb, IEventBus events, CancellationToken ct)
    {
        if (request.IsTyping is not { } typing) return Problems.Invalid("isTyping", "isTyping is required: true or false.");
        var (session, problem) = await ResolveAsync(http, token, principal, db, systemDb, ct);
        if (session is null) return problem!;
        events.Publish(new TypingChanged(session.OrganizationId, session.Id, "customer", null, typing));
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The session a token names, as the token's holder sees it, or the problem to answer: 404 for an
    /// unknown token, 403 when a cross-origin caller's origin is not one the organization allows.
    /// </summary>
    internal static async Task<(WidgetSession? Session, ProblemHttpResult? Problem)> ResolveAsync(
        HttpContext http, string token, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb, CancellationToken ct)
    {
        principal.SessionToken = token;
        var session = await db.Sessions.AsNoTracking().Where(s => s.SessionToken == token)
            .Select(s => new WidgetSession(s.Id, s.OrganizationId, s.Status)).SingleOrDefaultAsync(ct);
        if (session is null) return (null, TokenNotFound());
        if (WidgetOrigins.CrossOrigin(http) is not null)
        {
            await using var system = systemDb.CreateContext();
            var allowed = await system.Organizations.AsNoTracking().Where(o => o.Id == session.OrganizationId).Select(o => o.AllowedOrigins).SingleAsync(ct);
            if (OriginRefused(http, allowed) is { } refused) return (null, refused);
        }
        return (session, null);
    }

    private static ProblemHttpResult? OriginRefused(HttpContext http, IEnumerable<string> allowed)
    {
        if (WidgetOrigins.CrossOrigin(http) is not { } origin) return null;
        if (WidgetOrigins.Allows(allowed, origin))
        {
            WidgetOrigins.WriteAllowHeaders(http.Response, origin);
            return null;
        }
        return TypedResults.Problem($"The origin {origin} may not use this organization's widget; an admin can add it to the organization's allowed origins.",
            statusCode: StatusCodes.Status403Forbidden, title: "Origin not allowed",
            extensions: new Dictionary<string, object?> { ["field"] = "Origin" });
    }

    private static bool IsValidHash(string externalId, string? userHash, string secret)
    {
        if (string.IsNullOrEmpty(userHash)) return false;
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(externalId));
        try
        {
            return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(userHash));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static ProblemHttpResult TokenNotFound() =>
        Problems.NotFound("token", "This chat session does not exist; start a new one with POST /api/widget/sessions.");
}
