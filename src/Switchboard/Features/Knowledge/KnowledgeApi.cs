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

/// <summary>The list's filters: q matches title or content case-insensitively; the rest match exactly.</summary>
public sealed record ArticleFilter(string? Q = null, string? Category = null, string? Tag = null, bool? IsActive = null, int Offset = 0, int Limit = KnowledgeApi.DefaultLimit);

public sealed record ArticlePage(List<ArticleResponse> Items, int Total);

/// <summary>
/// Knowledge articles. Organization articles: members read, admins write. Global articles
/// (organization_id IS NULL): everyone reads, platform admins write.
/// </summary>
public static class KnowledgeApi
{
    public const int MaxTitleLength = 300;
    public const int MaxContentLength = 200_000;
    public const int MaxTags = 20;
    public const int DefaultLimit = 500;
    public const int MaxLimit = 500;
    public const string TotalHeader = "X-Total-Count";

    public static IEndpointRouteBuilder MapKnowledgeApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/orgs/{orgId}/knowledge").WithTags("Knowledge").RequireOrgRole(OrgRoles.Member);
        read.MapGet("/", (HttpContext http, string? q, string? category, string? tag, bool? isActive, int? offset, int? limit, AppDbContext db, CancellationToken ct) =>
            List(http, db, http.OrgId(), q, category, tag, isActive, offset, limit, ct));
        read.MapGet("/{articleId:guid}", (HttpContext http, Guid articleId, AppDbContext db, CancellationToken ct) => Get(db, http.OrgId(), articleId, ct));

        var write = app.MapGroup("/api/orgs/{orgId}/knowledge").WithTags("Knowledge").RequireOrgRole(OrgRoles.Admin);
        write.MapPost("/", (HttpContext http, ArticleRequest request, KnowledgeArticles articles, CancellationToken ct) => Create(articles, http.OrgId(), request, ct));
        // PUT and PATCH are the same partial update: absent fields stay; {"isActive": false} deactivates.
        write.MapPut("/{articleId:guid}", (HttpContext http, Guid articleId, ArticleRequest request, KnowledgeArticles articles, CancellationToken ct) => Update(articles, http.OrgId(), articleId, request, ct));
        write.MapPatch("/{articleId:guid}", (HttpContext http, Guid articleId, ArticleRequest request, KnowledgeArticles articles, CancellationToken ct) => Update(articles, http.OrgId(), articleId, request, ct));
        write.MapDelete("/{articleId:guid}", (HttpContext http, Guid articleId, KnowledgeArticles articles, CancellationToken ct) => Delete(articles, http.OrgId(), articleId, ct));

        var global = app.MapGroup("/api/knowledge/global").WithTags("Global knowledge");
        global.MapGet("/", (HttpContext http, string? q, string? category, string? tag, bool? isActive, int? offset, int? limit, AppDbContext db, CancellationToken ct) =>
            List(http, db, null, q, category, tag, isActive, offset, limit, ct)).AllowAnonymous();
        global.MapGet("/{articleId:guid}", (Guid articleId, AppDbContext db, CancellationToken ct) => Get(db, null, articleId, ct)).AllowAnonymous();
        var platform = global.MapGroup("/").RequireAuthorization().AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<CurrentPrincipal>().IsPlatformAdmin
                ? await next(context)
                : Problems.Forbidden("Only platform admins manage global knowledge."));
        platform.MapPost("/", (ArticleRequest request, KnowledgeArticles articles, CancellationToken ct) => Create(articles, null, request, ct));
        platform.MapPut("/{articleId:guid}", (Guid articleId, ArticleRequest request, KnowledgeArticles articles, CancellationToken ct) => Update(articles, null, articleId, request, ct));
        platform.MapPatch("/{articleId:guid}", (Guid articleId, ArticleRequest request, KnowledgeArticles articles, CancellationToken ct) => Update(articles, null, articleId, request, ct));
        platform.MapDelete("/{articleId:guid}", (Guid articleId, KnowledgeArticles articles, CancellationToken ct) => Delete(articles, null, articleId, ct));
        return app;
    }

    // The body stays the JSON array it always was; the total for paging travels in X-Total-Count.
    private static async Task<Results<Ok<List<ArticleResponse>>, ValidationProblem>> List(HttpContext http, AppDbContext db, Guid? orgId,
        string? q, string? category, string? tag, bool? isActive, int? offset, int? limit, CancellationToken ct)
    {
        if (offset is < 0) return Problems.Invalid("offset", "The offset must be 0 or more.");
        if (limit is < 1 or > MaxLimit) return Problems.Invalid("limit", $"The limit must be between 1 and {MaxLimit}.");
        var page = await KnowledgeArticles.ListAsync(db, orgId, new ArticleFilter(q, category, tag, isActive, offset ?? 0, limit ?? DefaultLimit), ct);
        http.Response.Headers[TotalHeader] = page.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Ok(page.Items);
    }

    private static async Task<Results<Ok<ArticleResponse>, ProblemHttpResult>> Get(AppDbContext db, Guid? orgId, Guid articleId, CancellationToken ct) =>
        await db.Knowledge.AsNoTracking().SingleOrDefaultAsync(a => a.Id == articleId && a.OrganizationId == orgId, ct) is { } article
            ? TypedResults.Ok(ArticleResponse.From(article))
            : ArticleNotFound(articleId);

    private static async Task<Results<Created<ArticleResponse>, ValidationProblem>> Create(KnowledgeArticles articles, Guid? orgId, ArticleRequest request, CancellationToken ct)
    {
        var (article, errors) = await articles.CreateAsync(orgId, request, ct);
        if (article is null) return Problems.Invalid(errors!);
        var path = orgId is null ? $"/api/knowledge/global/{article.Id}" : $"/api/orgs/{orgId}/knowledge/{article.Id}";
        return TypedResults.Created(path, article);
    }

    private static async Task<Results<Ok<ArticleResponse>, ValidationProblem, ProblemHttpResult>> Update(
        KnowledgeArticles articles, Guid? orgId, Guid articleId, ArticleRequest request, CancellationToken ct)
    {
        var (article, errors) = await articles.UpdateAsync(orgId, articleId, request, ct);
        if (errors is not null) return Problems.Invalid(errors);
        return article is null ? ArticleNotFound(articleId) : TypedResults.Ok(article);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(KnowledgeArticles articles, Guid? orgId, Guid articleId, CancellationToken ct) =>
        await articles.DeleteAsync(orgId, articleId, ct) ? TypedResults.NoContent() : ArticleNotFound(articleId);

    internal static Dictionary<string, string[]> Validate(ArticleRequest r, bool creating)
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

    private static ProblemHttpResult ArticleNotFound(Guid id) => Problems.NotFound("articleId", $"Article {id} does not exist here.");
}

/// <summary>
/// Writing articles, shared by the API and the console; the caller has authorized the change and
/// <see cref="AppDbContext"/> (the request's, with both walls) does the writing. Every change is
/// queued for indexing and reported to <see cref="AnswerTestScheduler"/>.
/// </summary>
public sealed class KnowledgeArticles(AppDbContext db, KnowledgeIndexQueue queue, VectorIndex index, AnswerTestScheduler answerTests)
{
    public static async Task<ArticlePage> ListAsync(AppDbContext db, Guid? orgId, ArticleFilter filter, CancellationToken ct)
    {
        var query = db.Knowledge.AsNoTracking().Where(a => a.OrganizationId == orgId);
        if (!string.IsNullOrWhiteSpace(filter.Category)) query = query.Where(a => a.Category == filter.Category);
        if (!string.IsNullOrWhiteSpace(filter.Tag))
        {
            var tag = filter.Tag.Trim().ToLowerInvariant(); // tags are stored lower-case
            query = query.Where(a => a.Tags!.Contains(tag));
        }
        if (filter.IsActive is { } active) query = query.Where(a => a.IsActive == active);
        if (!string.IsNullOrWhiteSpace(filter.Q))
        {
            // lower() on both sides: PostgreSQL folds any letter, SQLite only ASCII ones (docs/knowledge.md).
            var q = filter.Q.Trim().ToLower();
#pragma warning disable CA1862 // StringComparison does not translate to SQL; lower() does
            query = query.Where(a => a.Title.ToLower().Contains(q) || a.Content.ToLower().Contains(q));
#pragma warning restore CA1862
        }
        var total = await query.CountAsync(ct);
        var articles = await query.OrderBy(a => a.Title).ThenBy(a => a.Id).Skip(filter.Offset).Take(filter.Limit).ToListAsync(ct);
        return new ArticlePage([.. articles.Select(ArticleResponse.From)], total);
    }

    public async Task<(ArticleResponse? Article, Dictionary<string, string[]>? Errors)> CreateAsync(Guid? orgId, ArticleRequest request, CancellationToken ct)
    {
        var errors = KnowledgeApi.Validate(request, creating: true);
        if (errors.Count > 0) return (null, errors);
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
        answerTests.KnowledgeChanged(orgId, article.Id);
        return (ArticleResponse.From(article), null);
    }

    /// <returns>Errors when the request is invalid; neither article nor errors when the article does not exist here.</returns>
    public async Task<(ArticleResponse? Article, Dictionary<string, string[]>? Errors)> UpdateAsync(Guid? orgId, Guid articleId, ArticleRequest request, CancellationToken ct)
    {
        var errors = KnowledgeApi.Validate(request, creating: false);
        if (errors.Count > 0) return (null, errors);
        var article = await db.Knowledge.SingleOrDefaultAsync(a => a.Id == articleId && a.OrganizationId == orgId, ct);
        if (article is null) return (null, null);
        if (request.Title is not null) article.Title = request.Title.Trim();
        if (request.Content is not null) article.Content = request.Content;
        if (request.Category is not null) article.Category = string.IsNullOrWhiteSpace(request.Category) ? "general" : request.Category.Trim();
        if (request.Tags is not null) article.Tags = NormalizeTags(request.Tags);
        if (request.IsActive is not null) article.IsActive = request.IsActive;
        await db.SaveChangesAsync(ct);
        // A title or is_active change needs no embedding, only a fresh matrix; changed content is re-embedded.
        index.Invalidate(orgId);
        queue.Enqueue(article.Id);
        answerTests.KnowledgeChanged(orgId, article.Id);
        return (ArticleResponse.From(article), null);
    }

    public async Task<bool> DeleteAsync(Guid? orgId, Guid articleId, CancellationToken ct)
    {
        // Its passages go with it (ON DELETE CASCADE); the matrix that holds them is dropped.
        if (await db.Knowledge.Where(a => a.Id == articleId && a.OrganizationId == orgId).ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }
        index.Invalidate(orgId);
        answerTests.KnowledgeChanged(orgId, null);
        return true;
    }

    private static List<string> NormalizeTags(List<string>? tags) =>
        tags is null ? [] : [.. tags.Select(t => t.Trim().ToLowerInvariant()).Distinct()];
}
