using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Knowledge;

/// <summary>
/// An organization's indexing state: <paramref name="Pending"/> articles written (API, console, an import whose
/// embedding failed) whose passages the background indexer has not finished embedding yet, and when passages of
/// the organization were last written (<paramref name="LastIndexedAt"/>, null before the first).
/// </summary>
public sealed record IndexingStatusResponse(int Pending, DateTimeOffset? LastIndexedAt);

/// <summary>
/// Which articles wait for the background indexer: from the moment a write queues them until the indexer's run with
/// them has ended. Only article ids, kept in memory by this server: an organization's count is read through the
/// caller's database context, so both walls keep it to the articles the caller may read anyway.
/// </summary>
public sealed class KnowledgeIndexingStatus
{
    private readonly ConcurrentDictionary<Guid, byte> _pending = new();

    public void Queued(Guid articleId) => _pending.TryAdd(articleId, 0);

    /// <summary>The indexer's run with these articles has ended (indexed, deleted meanwhile, or failed: the next write or restart retries).</summary>
    public void Finished(IEnumerable<Guid> articleIds)
    {
        foreach (var id in articleIds)
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async Task<IndexingStatusResponse> ForAsync(AppDbContext db, Guid? orgId, CancellationToken ct)
    {
        var pending = _pending.Keys.ToArray();
        var count = pending.Length == 0 ? 0
            : await db.Knowledge.CountAsync(a => a.OrganizationId == orgId && pending.Contains(a.Id), ct);
        // Passages are written anew (with a fresh created_at) whenever an article's content is indexed.
        var last = await db.KnowledgeChunks.Where(c => c.OrganizationId == orgId)
            .OrderByDescending(c => c.CreatedAt).Select(c => (DateTimeOffset?)c.CreatedAt).FirstOrDefaultAsync(ct);
        return new IndexingStatusResponse(count, last);
    }
}

public static class KnowledgeIndexingApi
{
    /// <summary>GET /api/orgs/{orgId}/knowledge/indexing: members, as reading the articles.</summary>
    public static IEndpointRouteBuilder MapKnowledgeIndexingApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/orgs/{orgId}/knowledge/indexing").WithTags("Knowledge").RequireOrgRole(OrgRoles.Member)
            .MapGet("/", Get);
        return app;
    }

    private static async Task<Ok<IndexingStatusResponse>> Get(HttpContext http, AppDbContext db, KnowledgeIndexingStatus status, CancellationToken ct) =>
        TypedResults.Ok(await status.ForAsync(db, http.OrgId(), ct));
}
