using System.Numerics.Tensors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Switchboard.Data;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Knowledge;

public sealed record GapExample(string Question, DateTimeOffset AskedAt, string Decision, double Confidence);

public sealed record GapArticle(Guid ArticleId, string Title, double Score);

/// <summary>Customer questions the bot could not answer (or barely could) that mean the same thing.</summary>
public sealed record KnowledgeGap(int Count, List<GapExample> Examples, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, int NoAnswers, GapArticle? ClosestArticle);

public sealed record KnowledgeGapReport(DateTimeOffset? From, DateTimeOffset? To, int Questions, double SimilarityThreshold, double LowConfidence, List<KnowledgeGap> Gaps);

/// <summary>
/// The knowledge-gap report: customer questions whose AI reply was "no_answer" or had a confidence
/// below <see cref="LowConfidence"/>, grouped by meaning (greedy clustering on MiniLM cosine
/// similarity ≥ <see cref="SimilarityThreshold"/>), largest group first. Reads through the request's
/// <see cref="AppDbContext"/>, so both walls keep it to conversations the caller may read.
/// </summary>
public sealed class KnowledgeGaps(AppDbContext db, EmbeddingModels models, VectorIndex index)
{
    /// <summary>Confidence is 0.5 at the calibrated threshold; below 0.6 an answer was a near miss.</summary>
    public const double LowConfidence = 0.6;

    /// <summary>all-MiniLM-L6-v2: paraphrases of one question score about 0.7-0.9, different questions of one shop 0.2-0.5.</summary>
    public const double SimilarityThreshold = 0.6;

    /// <summary>The most recent questions considered; older ones in the range are left out.</summary>
    public const int MaxQuestions = 2000;

    public const int MaxExamples = 3;

    public async Task<KnowledgeGapReport> ReportAsync(Guid orgId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var replies = db.Messages.AsNoTracking().Where(m => m.Session!.OrganizationId == orgId && m.MessageType == MessageTypes.Ai);
        if (from is { } f) replies = replies.Where(m => m.CreatedAt >= f);
        if (to is { } t) replies = replies.Where(m => m.CreatedAt < t);
        var rows = await replies.OrderByDescending(m => m.CreatedAt).Take(MaxQuestions * 4)
            .Select(m => new { m.SessionId, m.CreatedAt, m.AiMetadata }).ToListAsync(ct);

        var misses = rows
            .Select(r => (r.SessionId, r.CreatedAt, Metadata: AiMetadata.Parse(r.AiMetadata)))
            .Where(r => r.Metadata is { ReplyTo: not null } m && (m.Decision == AiDecisions.NoAnswer || m.Confidence < LowConfidence))
            .Take(MaxQuestions)
            .ToList();
        var sessions = misses.Select(m => m.SessionId).Distinct().ToList();
        var seqs = misses.Select(m => m.Metadata!.ReplyTo!.Value).Distinct().ToList();
        var asked = (await db.Messages.AsNoTracking()
                .Where(m => sessions.Contains(m.SessionId) && seqs.Contains(m.Seq) && m.MessageType == MessageTypes.User)
                .Select(m => new { m.SessionId, m.Seq, m.Content }).ToListAsync(ct))
            .ToDictionary(m => (m.SessionId, m.Seq), m => m.Content);

        var questions = misses
            .Where(m => asked.ContainsKey((m.SessionId, m.Metadata!.ReplyTo!.Value)))
            .Select(m => new GapExample(asked[(m.SessionId, m.Metadata!.ReplyTo!.Value)].Trim(), m.CreatedAt, m.Metadata!.Decision, m.Metadata.Confidence))
            .Where(q => q.Question.Length > 0)
            .OrderBy(q => q.AskedAt)
            .ToList();
        if (questions.Count == 0) return new KnowledgeGapReport(from, to, 0, SimilarityThreshold, LowConfidence, []);

        // The questions are compared with the knowledge in the model retrieval serves (the previous one during a model change).
        var serving = await index.GetServingAsync(orgId, ct);
        var (embeddings, matrix) = models.Get(serving.Model) is { } generator
            ? (generator, serving.Matrix)
            : (models.ConfiguredGenerator, await index.GetAsync(orgId, models.Configured, ct));
        var vectors = await embeddings.GenerateAsync(questions.Select(q => q.Question), cancellationToken: ct);
        var clusters = Cluster([.. vectors.Select(v => v.Vector.ToArray())], SimilarityThreshold);

        var gaps = new List<KnowledgeGap>();
        foreach (var cluster in clusters.OrderByDescending(c => c.Members.Count).ThenByDescending(c => c.Members.Max(i => questions[i].AskedAt)))
        {
            var members = cluster.Members.Select(i => questions[i]).ToList();
            var retrieval = matrix.Search(cluster.Centroid, 1);
            var closest = retrieval.Articles.Count > 0 && retrieval.Articles[0] is var a ? new GapArticle(a.ArticleId, a.Title, Math.Round(a.Score, 4)) : null;
            // The examples: distinct wordings, most recent first.
            var examples = members.OrderByDescending(m => m.AskedAt).DistinctBy(m => m.Question, StringComparer.OrdinalIgnoreCase).Take(MaxExamples).ToList();
            gaps.Add(new KnowledgeGap(members.Count, examples, members.Min(m => m.AskedAt), members.Max(m => m.AskedAt),
                members.Count(m => m.Decision == AiDecisions.NoAnswer), closest));
        }
        return new KnowledgeGapReport(from, to, questions.Count, SimilarityThreshold, LowConfidence, gaps);
    }

    public sealed record Group(List<int> Members, float[] Centroid);

    /// <summary>
    /// Greedy leader clustering: each vector joins the group whose (normalised mean) centroid is most
    /// similar if that similarity reaches <paramref name="threshold"/>, else starts a group.
    /// Deterministic for a given order of vectors.
    /// </summary>
    public static List<Group> Cluster(IReadOnlyList<float[]> vectors, double threshold)
    {
        var groups = new List<(List<int> Members, float[] Sum, float[] Centroid)>();
        for (var i = 0; i < vectors.Count; i++)
        {
            var v = vectors[i];
            var best = -1;
            var bestScore = double.NegativeInfinity;
            for (var g = 0; g < groups.Count; g++)
            {
                var score = TensorPrimitives.CosineSimilarity(v, groups[g].Centroid);
                if (score > bestScore)
                {
                    best = g;
                    bestScore = score;
                }
            }
            if (best >= 0 && bestScore >= threshold)
            {
                var group = groups[best];
                group.Members.Add(i);
                TensorPrimitives.Add(group.Sum, v, group.Sum);
                TensorPrimitives.Divide(group.Sum, TensorPrimitives.Norm(group.Sum), group.Centroid);
            }
            else
            {
                var sum = v.ToArray();
                var centroid = new float[v.Length];
                TensorPrimitives.Divide(sum, TensorPrimitives.Norm(sum), centroid);
                groups.Add(([i], sum, centroid));
            }
        }
        return [.. groups.Select(g => new Group(g.Members, g.Centroid))];
    }
}

/// <summary>GET /api/orgs/{orgId}/knowledge/gaps?from=&amp;to=: agents and admins (they read the conversations it quotes).</summary>
public static class KnowledgeGapsApi
{
    public static IEndpointRouteBuilder MapKnowledgeGapsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/orgs/{orgId}/knowledge/gaps").WithTags("Knowledge").RequireOrgRole(OrgRoles.Agent)
            .MapGet("/", Report);
        return app;
    }

    private static async Task<Results<Ok<KnowledgeGapReport>, ValidationProblem>> Report(HttpContext http, DateTimeOffset? from, DateTimeOffset? to,
        KnowledgeGaps gaps, CancellationToken ct)
    {
        if (from is { } f && to is { } t && f >= t) return Problems.Invalid("to", "'to' must be later than 'from'.");
        return TypedResults.Ok(await gaps.ReportAsync(http.OrgId(), from, to, ct));
    }
}
