using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Widget;

public sealed record WidgetCustomer(string? ExternalId, string? Name, string? Email, string? UserHash);

public sealed record StartWidgetSessionRequest(string? OrgKey, WidgetCustomer? Customer, JsonElement? Context);

public sealed record StartWidgetSessionResponse(string SessionToken, Guid SessionId);

public sealed record PostWidgetMessageRequest(string? ClientMessageId, string? Content);

public sealed record WidgetMessagesResponse(List<MessageResponse> Messages);

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
        group.MapPost("/", Start);
        group.MapPost("/{token}/messages", Post);
        group.MapGet("/{token}/messages", Messages);
        return app;
    }

    private static async Task<Results<Created<StartWidgetSessionResponse>, ValidationProblem, ProblemHttpResult>> Start(
        StartWidgetSessionRequest request, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.OrgKey)) return Problems.Invalid("orgKey", "orgKey is required: the data-org-key of the widget script.");
        if (request.Context is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
        {
            return Problems.Invalid("context", "context must be a JSON object.");
        }
        if (request.Context is { ValueKind: JsonValueKind.Object } raw && raw.GetRawText().Length > MaxContextBytes)
        {
            return Problems.Invalid("context", $"context is larger than {MaxContextBytes} bytes.");
        }
        var org = await systemDb.OrganizationByWidgetKeyAsync(request.OrgKey, ct);
        if (org is null) return Problems.NotFound("orgKey", "No organization has this widget key; copy it again from the console.");

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
        string token, PostWidgetMessageRequest request, CurrentPrincipal principal, AppDbContext db, CancellationToken ct)
    {
        var errors = MessageLog.Validate(request.Content, request.ClientMessageId);
        if (string.IsNullOrWhiteSpace(request.ClientMessageId)) errors["clientMessageId"] = ["clientMessageId is required, so that a retry does not post twice."];
        if (errors.Count > 0) return Problems.Invalid(errors);
        if (await FindSessionIdAsync(token, principal, db, ct) is not { } sessionId) return TokenNotFound();
        var posted = await MessageLog.AppendAsync(db, sessionId, MessageTypes.User, request.Content!, request.ClientMessageId, null, ct);
        return posted.Duplicate ? TypedResults.Ok(posted) : TypedResults.Created($"/api/widget/sessions/{token}/messages?after={posted.Seq - 1}", posted);
    }

    private static async Task<Results<Ok<WidgetMessagesResponse>, ProblemHttpResult>> Messages(
        string token, long? after, CurrentPrincipal principal, AppDbContext db, CancellationToken ct)
    {
        if (await FindSessionIdAsync(token, principal, db, ct) is not { } sessionId) return TokenNotFound();
        return TypedResults.Ok(new WidgetMessagesResponse(await MessageLog.ListAsync(db, sessionId, after ?? 0, ct)));
    }

    private static async Task<Guid?> FindSessionIdAsync(string token, CurrentPrincipal principal, AppDbContext db, CancellationToken ct)
    {
        principal.SessionToken = token;
        return await db.Sessions.Where(s => s.SessionToken == token).Select(s => (Guid?)s.Id).SingleOrDefaultAsync(ct);
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
