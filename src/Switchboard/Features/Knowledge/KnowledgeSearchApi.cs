using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Features.Ai;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Knowledge;

public sealed record KnowledgeSearchRequest(string? Question, string? Category, List<string>? Tags, int? Top);

public sealed record KnowledgeSearchHit(Guid ArticleId, string Title, string Passage, double Score, RankingParts? Ranking);

/// <summary>What the bot would do with the question: answer or not, how sure, and the ranked articles with the evidence behind each rank.</summary>
public sealed record KnowledgeSearchResult(string Decision, double Confidence, string EmbeddingModel, IReadOnlyList<KnowledgeSearchHit> Articles);

/// <summary>
/// POST /api/orgs/{orgId}/knowledge/search: the organization's knowledge searched exactly as the bot
/// searches it (<see cref="HybridRetriever"/>: the organization's and the global active articles), optionally
/// restricted to a category and/or tags. For agents looking up an article for a customer and for admins
/// checking why the bot ranks what it ranks. Agents and admins, as the knowledge gaps report.
/// </summary>
public static class KnowledgeSearchApi
{
    public const int MaxQuestionLength = 4000;
    public const int MaxTop = 20;

    public static IEndpointRouteBuilder MapKnowledgeSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/orgs/{orgId}/knowledge/search").WithTags("Knowledge").RequireOrgRole(OrgRoles.Agent)
            .MapPost("/", Search);
        return app;
    }

    private static async Task<Results<Ok<KnowledgeSearchResult>, ValidationProblem>> Search(HttpContext http, KnowledgeSearchRequest request,
        HybridRetriever retriever, CancellationToken ct)
    {
        var question = request.Question?.Trim();
        if (string.IsNullOrEmpty(question)) return Problems.Invalid("question", "question is required.");
        if (question.Length > MaxQuestionLength) return Problems.Invalid("question", $"question must be at most {MaxQuestionLength} characters.");
        if (request.Top is < 1 or > MaxTop) return Problems.Invalid("top", $"top must be between 1 and {MaxTop}.");
        if (request.Category is { } category && string.IsNullOrWhiteSpace(category)) return Problems.Invalid("category", "category must not be blank; leave it out for any category.");
        var tags = request.Tags ?? [];
        if (tags.Any(string.IsNullOrWhiteSpace)) return Problems.Invalid("tags", "tags must not contain blank values.");

        var organizationId = http.OrgId();
        // No filter in the request: the configured one (Ai:Retrieval:Category/Tags), as the bot uses.
        var filter = request.Category is null && tags.Count == 0 ? null : new RetrievalFilter(request.Category?.Trim(), [.. tags.Select(t => t.Trim())]);
        var (query, retrieval) = await retriever.RetrieveAsync(organizationId, question, request.Top ?? ConversationPipeline.TopArticles, filter, ct);
        return TypedResults.Ok(new KnowledgeSearchResult(
            retrieval.Answerable ? AiDecisions.Answer : AiDecisions.NoAnswer,
            Math.Round(retrieval.Confidence, 4),
            query.Model,
            [.. retrieval.Articles.Select(a => new KnowledgeSearchHit(a.ArticleId, a.Title, a.Passage, Math.Round(a.Score, 4), a.Ranking))]));
    }
}
