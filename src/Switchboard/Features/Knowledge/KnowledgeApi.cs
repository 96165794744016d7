using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Ai;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Knowledge;

public sealed record ArticleRequest(string? Title, string? Content, string? Category, List<string>? Tags, bool? IsActive);

public sealed record ArticleResponse(Guid Id, Guid? OrganizationId, string Title, string Content, string Category, List<string> Tags,
    decimal EffectivenessScore, int UsageCount, bool IsActive, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ArticleResponse From(KnowledgeArticle a) => new(a.Id, a.OrganizationId, a.Title, a.Content, a.Category, a.Tags ?? [],
        a.EffectivenessScore ?? 0, a.UsageCount ?? 0, a.IsActive ?? false, a.CreatedAt, a.UpdatedAt);
}

/// <summary>
/// Knowledge articles. Organization articles: members read, admins write. Global articles
/// (organization_id IS NULL): everyone reads, platform admins write.
/// </summary>
public static class KnowledgeApi
{
    public const int MaxTitleLength = 300;
    public const int MaxContentLength = 200_000;
    public const int MaxTags = 20;

    public static IEndpointRouteBuilder MapKnowledgeApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/orgs/{orgId}/knowledge").WithTags("Knowledge").RequireOrgRole(OrgRoles.Member);
        read.MapGet("/", (HttpContext http, string? q, string? category, AppDbContext db, CancellationToken ct) => List(db, http.OrgId(), q, category, ct));
        read.MapGet("/{articleId:guid}", (HttpContext http, Guid articleId, AppDbContext db, CancellationToken ct) => Get(db, http.OrgId(), articleId, ct));

        var write = app.MapGroup("/api/orgs/{orgId}/knowledge").WithTags("Knowledge").RequireOrgRole(OrgRoles.Admin);
        write.MapPost("/", (HttpContext http, ArticleRequest request, AppDbContext db, KnowledgeIndexQueue queue, CancellationToken ct) => Create(db, queue, http.OrgId(), request, ct));
        write.MapPut("/{articleId:guid}", (HttpContext http, Guid articleId, ArticleRequest request, AppDbContext db, KnowledgeIndexQueue queue, VectorIndex index, CancellationToken ct) => Update(db, queue, index, http.OrgId(), articleId, request, ct));
        write.MapDelete("/{articleId:guid}", (HttpContext http, Guid articleId, AppDbContext db, VectorIndex index, CancellationToken ct) => Delete(db, index, http.OrgId(), articleId, ct));

        var global = app.MapGroup("/api/knowledge/global").WithTags("Global knowledge");
        global.MapGet("/", (string? q, string? category, AppDbContext db, CancellationToken ct) => List(db, null, q, category, ct)).AllowAnonymous();
        global.MapGet("/{articleId:guid}", (Guid articleId, AppDbContext db, CancellationToken ct) => Get(db, null, articleId, ct)).AllowAnonymous();
        var platform = global.MapGroup("/").RequireAuthorization().AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<CurrentPrincipal>().IsPlatformAdmin
                ? await next(context)
                : Problems.Forbidden("Only platform admins manage global knowledge."));
        platform.MapPost("/", (ArticleRequest request, AppDbContext db, KnowledgeIndexQueue queue, CancellationToken ct) => Create(db, queue, null, request, ct));
        platform.MapPut("/{articleId:guid}", (Guid articleId, ArticleRequest request, AppDbContext db, KnowledgeIndexQueue queue, VectorIndex index, CancellationToken ct) => Update(db, queue, index, null, articleId, request, ct));
        platform.MapDelete("/{articleId:guid}", (Guid articleId, AppDbContext db, VectorIndex index, CancellationToken ct) => Delete(db, index, null, articleId, ct));
        return app;
    }

    private static async Task<Ok<List<ArticleResponse>>> List(AppDbContext db, Guid? orgId, string? q, string? category, CancellationToken ct)
    {
        var query = db.Knowledge.AsNoTracking().Where(a => a.OrganizationId == orgId);
        if (!string.IsNullOrWhiteSpace(category)) query = query.Where(a => a.Category == category);
        if (!string.IsNullOrWhiteSpace(q)) query = query.Where(a => a.Title.Contains(q) || a.Content.Contains(q));
        var articles = await query.OrderBy(a => a.Title).Take(500).ToListAsync(ct);
        return TypedResults.Ok(articles.Select(ArticleResponse.From).ToList());
    }

    private static async Task<Results<Ok<ArticleResponse>, ProblemHttpResult>> Get(AppDbContext db, Guid? orgId, Guid articleId, CancellationToken ct) =>
        await db.Knowledge.AsNoTracking().SingleOrDefaultAsync(a => a.Id == articleId && a.OrganizationId == orgId, ct) is { } article
            ? TypedResults.Ok(ArticleResponse.From(article))
            : ArticleNotFound(articleId);

    private static async Task<Results<Created<ArticleResponse>, ValidationProblem>> Create(AppDbContext db, KnowledgeIndexQueue queue, Guid? orgId, ArticleRequest request, CancellationToken ct)
    {
        var errors = Validate(request, creating: true);
        if (errors.Count > 0) return Problems.Invalid(errors);
        var article = new KnowledgeArticle
        {
            OrganizationId = orgId,
            Title = request.Title!.Trim(),
            Content = request.Content!,
            Category = string.IsNullOrWhiteSpace(request.Category) ? "general" : request.Category.Trim(),
            Tags = NormalizeTags(request.Tags),
            IsActive = request.IsActive ?? true,
        };
        db.Knowledge.Add(article);
        await db.SaveChangesAsync(ct);
        queue.Enqueue(article.Id); // embedded in the background; answers use it once indexed
        var path = orgId is null ? $"/api/knowledge/global/{article.Id}" : $"/api/orgs/{orgId}/knowledge/{article.Id}";
        return TypedResults.Created(path, ArticleResponse.From(article));
    }

    private static async Task<Results<Ok<ArticleResponse>, ValidationProblem, ProblemHttpResult>> Update(
        AppDbContext db, KnowledgeIndexQueue queue, VectorIndex index, Guid? orgId, Guid articleId, ArticleRequest request, CancellationToken ct)
    {
        var errors = Validate(request, creating: false);
        if (errors.Count > 0) return Problems.Invalid(errors);
        var article = await db.Knowledge.SingleOrDefaultAsync(a => a.Id == articleId && a.OrganizationId == orgId, ct);
        if (article is null) return ArticleNotFound(articleId);
        if (request.Title is not null) article.Title = request.Title.Trim();
        if (request.Content is not null) article.Content = request.Content;
        if (request.Category is not null) article.Category = request.Category.Trim();
        if (request.Tags is not null) article.Tags = NormalizeTags(request.Tags);
        if (request.IsActive is not null) article.IsActive = request.IsActive;
        await db.SaveChangesAsync(ct);
        // A title or is_active change needs no embedding, only a fresh matrix; changed content is re-embedded.
        index.Invalidate(orgId);
        queue.Enqueue(article.Id);
        return TypedResults.Ok(ArticleResponse.From(article));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(AppDbContext db, VectorIndex index, Guid? orgId, Guid articleId, CancellationToken ct)
    {
        // Its passages go with it (ON DELETE CASCADE); the matrix that holds them is dropped.
        if (await db.Knowledge.Where(a => a.Id == articleId && a.OrganizationId == orgId).ExecuteDeleteAsync(ct) == 0)
        {
            return ArticleNotFound(articleId);
        }
        index.Invalidate(orgId);
        return TypedResults.NoContent();
    }

    private static Dictionary<string, string[]> Validate(ArticleRequest r, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        if ((creating || r.Title is not null) && string.IsNullOrWhiteSpace(r.Title)) errors["title"] = ["The title is required."];
        else if (r.Title is { Length: > MaxTitleLength }) errors["title"] = [$"The title is longer than {MaxTitleLength} characters."];
        if ((creating || r.Content is not null) && string.IsNullOrWhiteSpace(r.Content)) errors["content"] = ["The content is required."];
        else if (r.Content is { Length: > MaxContentLength }) errors["content"] = [$"The content is {r.Content.Length} characters; the limit is {MaxContentLength}. Split it into several articles."];
        if (r.Category is { Length: > 100 }) errors["category"] = ["The category is longer than 100 characters."];
        if (r.Tags is { Count: > MaxTags }) errors["tags"] = [$"At most {MaxTags} tags."];
        else if (r.Tags?.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 50) == true) errors["tags"] = ["Tags must be 1-50 characters."];
        return errors;
    }

    private static List<string> NormalizeTags(List<string>? tags) =>
        tags is null ? [] : [.. tags.Select(t => t.Trim().ToLowerInvariant()).Distinct()];

    private static ProblemHttpResult ArticleNotFound(Guid id) => Problems.NotFound("articleId", $"Article {id} does not exist here.");
}
