using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Widget;
using Switchboard.Tenancy;

namespace Switchboard.Features.Analytics;

public sealed record CsatRequest(int? Score, string? Comment);

/// <summary>A stored rating. <paramref name="RatedAgent"/>: true when a person resolved the chat (the rating is theirs), false for the AI.</summary>
public sealed record CsatResponse(Guid Id, int Score, string? Comment, bool RatedAgent, DateTimeOffset CreatedAt);

/// <summary>
/// <c>POST /api/widget/sessions/{token}/csat</c>: the customer rates a resolved chat, once. Mapped on the widget's group
/// (WidgetApi): the token is checked as for every widget route, then the rating is written on the trusted path
/// (customers cannot write session_csat on the request path) and the agent's day is recomputed.
/// </summary>
public static class CsatApi
{
    public static async Task<Results<Created<CsatResponse>, Ok<CsatResponse>, ValidationProblem, ProblemHttpResult>> RateAsync(
        HttpContext http, string token, CsatRequest request, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb,
        AgentAnalyticsUpdater analytics, TimeProvider clock, CancellationToken ct)
    {
        if (request.Score is not { } score || score is < 1 or > 5) return Problems.Invalid("score", "score is required: a whole number from 1 (poor) to 5 (excellent).");
        var comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim();
        if (comment is { Length: > SessionCsat.MaxCommentLength })
        {
            return Problems.Invalid("comment", $"comment is {comment.Length} characters long; the limit is {SessionCsat.MaxCommentLength}.");
        }
        var (session, problem) = await WidgetApi.ResolveAsync(http, token, principal, db, systemDb, ct);
        if (session is null) return problem!;
        if (session.Status != SessionStatus.Resolved)
        {
            return Problems.Conflict("token", "This chat is not resolved yet; it can be rated once it is.");
        }

        await using var system = systemDb.CreateContext();
        if (await ExistingAsync(system, session.Id, ct) is { } rated) return Repeat(rated, score, comment);
        // The agent whose turn ended with the resolution, last in the session; none: the AI resolved it alone.
        var agentId = await system.Assignments.AsNoTracking()
            .Where(a => a.SessionId == session.Id && a.ReleaseReason == EscalationOutcomes.Resolved && a.ReleasedAt != null)
            .OrderByDescending(a => a.ReleasedAt).Select(a => (Guid?)a.AgentId).FirstOrDefaultAsync(ct);
        var rating = new SessionCsat
        {
            OrganizationId = session.OrganizationId, SessionId = session.Id, Score = score, Comment = comment, AgentId = agentId,
            CreatedAt = clock.GetUtcNow(),
        };
        system.Csat.Add(rating);
        try
        {
            await system.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same session rated concurrently (session_id is unique): answer as for a second rating.
            await using var again = systemDb.CreateContext();
            if (await ExistingAsync(again, session.Id, ct) is { } first) return Repeat(first, score, comment);
            throw;
        }
        analytics.Changed(session.Id);
        return TypedResults.Created($"/api/widget/sessions/{token}/csat", Response(rating));
    }

    private static Task<SessionCsat?> ExistingAsync(AppDbContext db, Guid sessionId, CancellationToken ct) =>
        db.Csat.AsNoTracking().SingleOrDefaultAsync(c => c.SessionId == sessionId, ct);

    /// <summary>A repeated request with the same rating is a retry (200, the stored rating); a different one is refused.</summary>
    private static Results<Created<CsatResponse>, Ok<CsatResponse>, ValidationProblem, ProblemHttpResult> Repeat(SessionCsat rated, int score, string? comment) =>
        rated.Score == score && rated.Comment == comment
            ? TypedResults.Ok(Response(rated))
            : Problems.Conflict("score", "This chat is already rated; a rating cannot be changed.");

    private static CsatResponse Response(SessionCsat rating) => new(rating.Id, rating.Score, rating.Comment, rating.AgentId is not null, rating.CreatedAt);
}
