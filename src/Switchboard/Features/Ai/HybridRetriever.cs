using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;

namespace Switchboard.Features.Ai;

/// <summary>Configuration section <c>Ai:Retrieval</c> (docs/ai.md; figures behind the defaults in docs/eval.md).</summary>
public sealed class RetrievalOptions
{
    public const string Section = "Ai:Retrieval";

    /// <summary>Fuse the database's full-text search with vector similarity.</summary>
    public bool FullText { get; set; } = true;

    /// <summary><c>weighted</c>: vector score + <see cref="FullTextWeight"/> × full-text rank / best full-text rank; <c>rrf</c>: reciprocal rank fusion.</summary>
    public string Fusion { get; set; } = FusionModes.Weighted;

    public double FullTextWeight { get; set; } = 0.15;

    /// <summary>k of reciprocal rank fusion: 1/(k + rank).</summary>
    public int RrfK { get; set; } = 60;

    /// <summary>
    /// Words found in more than this share of the knowledge base's passages are left out of the full-text query
    /// (when the knowledge base has at least <see cref="MinPassagesForWordPruning"/> passages): on banking77, 0.1
    /// made the query 4× cheaper at the same accuracy (docs/eval.md). 1 keeps every word.
    /// </summary>
    public double FullTextMaxWordShare { get; set; } = 0.1;

    public const int MinPassagesForWordPruning = 200;

    /// <summary>Full-text hits (articles) fetched per question.</summary>
    public int FullTextCandidates { get; set; } = 50;

    /// <summary>Weight of the article classifier's probability (<see cref="ArticleClassifier"/>); 0 turns it off.</summary>
    public double ClassifierWeight { get; set; } = 0.1;

    /// <summary>How much an article's effectiveness_score moves its rank (docs/ai.md); 0 turns the nudge off.</summary>
    public double EffectivenessWeight { get; set; } = 0.1;

    /// <summary>Only articles of this category (null: any).</summary>
    public string? Category { get; set; }

    /// <summary>Only articles carrying at least one of these tags (empty: any).</summary>
    public List<string> Tags { get; set; } = [];
}

public static class FusionModes
{
    public const string Weighted = "weighted";
    public const string Rrf = "rrf";
}

/// <summary>Optional restriction of retrieval to a category and/or tags.</summary>
public sealed record RetrievalFilter(string? Category, IReadOnlyList<string> Tags)
{
    public static readonly RetrievalFilter None = new(null, []);

    public bool IsEmpty => Category is null && Tags.Count == 0;
}

/// <summary>
/// Ranks articles for a question from three kinds of evidence: vector similarity (the mean of an
/// article's two best passages), the knowledge base's <see cref="ArticleClassifier"/> and the
/// database's full-text search, fused; then nudges by each
/// article's effectiveness_score. Whether to answer at all stays decided by the vector evidence
/// alone (<see cref="KnowledgeCalibration"/>), which the threshold was calibrated on: fusion changes
/// which article comes first, not how sure the bot is that one fits.
/// </summary>
public sealed class HybridRetriever(VectorIndex index, FullTextSearch fullText, ArticleScoreCache scores, SystemDb systemDb,
    IOptionsMonitor<RetrievalOptions> options)
{
    /// <summary>
    /// The question embedded with the model the organization's retrieval serves (<see cref="VectorIndex.EmbedQuestionAsync"/>)
    /// and ranked against exactly that model's matrix, so a model switch in between never mixes two models.
    /// </summary>
    public async Task<(QueryEmbedding Query, Retrieval Retrieval)> RetrieveAsync(Guid organizationId, string question, int top,
        RetrievalFilter? filter, CancellationToken ct)
    {
        var query = await index.EmbedQuestionAsync(organizationId, question, ct);
        return (query, await RankAsync(organizationId, query.Matrix, query.Vector, question, top, filter, ct));
    }

    /// <summary>A question already embedded with the organization's serving model, ranked against its current matrix.</summary>
    public async Task<Retrieval> RetrieveAsync(Guid organizationId, ReadOnlyMemory<float> vector, string question, int top,
        RetrievalFilter? filter, CancellationToken ct) =>
        await RankAsync(organizationId, await index.GetAsync(organizationId, ct), vector, question, top, filter, ct);

    private async Task<Retrieval> RankAsync(Guid organizationId, KnowledgeMatrix matrix, ReadOnlyMemory<float> vector, string question, int top,
        RetrievalFilter? filter, CancellationToken ct)
    {
        var o = options.CurrentValue;
        filter ??= o.Category is null && o.Tags.Count == 0 ? RetrievalFilter.None : new RetrievalFilter(o.Category, o.Tags);
        if (matrix.ArticleCount == 0)
        {
            return new Retrieval([], 0, 0, false);
        }
        var ftsTask = o.FullText
            ? fullText.SearchAsync(organizationId, question, o.FullTextCandidates, ct, CommonWordFilter(matrix, o))
            : Task.FromResult(new List<FullTextHit>());
        var (best, second, bestRow) = matrix.ScoreArticles(vector.Span);
        var allowed = filter.IsEmpty ? null : await AllowedAsync(organizationId, filter, ct);
        var hits = await ftsTask;
        var effectiveness = o.EffectivenessWeight > 0 ? await scores.GetAsync(organizationId, ct) : null;

        var candidates = Enumerable.Range(0, matrix.ArticleCount)
            .Where(a => !float.IsNegativeInfinity(best[a]) && (allowed is null || allowed.Contains(matrix.ArticleId(a))))
            .ToList();
        if (candidates.Count == 0)
        {
            return new Retrieval([], 0, 0, false);
        }

        // The decision: the same evidence the threshold was calibrated on (best passage, margin over the runner-up).
        var (first, runnerUp) = TopTwo(candidates.Select(a => best[a]));
        var evidence = KnowledgeCalibration.Evidence(first, runnerUp);

        var probabilities = o.ClassifierWeight > 0 ? matrix.Classifier?.Probabilities(vector.Span) : null;
        double Vector(int a) => (best[a] + (double)second[a]) / 2;
        double? Classifier(int a) => probabilities is null ? null : o.ClassifierWeight * probabilities[a];
        var fused = Fuse(candidates.ToDictionary(a => matrix.ArticleId(a), a => Vector(a) + (Classifier(a) ?? 0)), hits, o);
        if (effectiveness is not null)
        {
            foreach (var id in fused.Keys.ToList())
            {
                fused[id] = ArticleScores.Nudge(fused[id], effectiveness.GetValueOrDefault(id, ArticleScores.Prior), o.EffectivenessWeight);
            }
        }
        var byId = candidates.ToDictionary(a => matrix.ArticleId(a));
        var fullTextRank = hits.ToDictionary(h => h.ArticleId, h => h.Score); // one row per article (GROUP BY)
        var articles = fused.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(top)
            .Select(p => byId[p.Key])
            .Select(a => new RetrievedArticle(matrix.ArticleId(a), matrix.Title(a), best[a], matrix.PassageText(bestRow[a]))
            {
                Ranking = new RankingParts(Vector(a), Classifier(a), fullTextRank.TryGetValue(matrix.ArticleId(a), out var rank) ? rank : null,
                    effectiveness?.GetValueOrDefault(matrix.ArticleId(a), ArticleScores.Prior) ?? ArticleScores.Prior, fused[matrix.ArticleId(a)]),
            })
            .ToList();
        return new Retrieval(articles, evidence, matrix.Calibration.Confidence(evidence), matrix.Calibration.Answers(evidence));
    }

    /// <summary>Fused score per article: vector score plus the full-text evidence, by <see cref="RetrievalOptions.Fusion"/>.</summary>
    public static Dictionary<Guid, double> Fuse(IReadOnlyDictionary<Guid, double> vector, IReadOnlyList<FullTextHit> fullText, RetrievalOptions o)
    {
        var hits = fullText.Where(h => vector.ContainsKey(h.ArticleId)).ToList();
        if (o.Fusion == FusionModes.Rrf)
        {
            var fused = vector.Keys.ToDictionary(id => id, _ => 0.0);
            var rank = 0;
            foreach (var id in vector.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Select(p => p.Key))
            {
                fused[id] += 1.0 / (o.RrfK + ++rank);
            }
            rank = 0;
            foreach (var hit in hits.OrderByDescending(h => h.Score).ThenBy(h => h.ArticleId))
            {
                fused[hit.ArticleId] += 1.0 / (o.RrfK + ++rank);
            }
            return fused;
        }
        var result = vector.ToDictionary(p => p.Key, p => p.Value);
        var max = hits.Count > 0 ? hits.Max(h => h.Score) : 0;
        if (max > 0)
        {
            foreach (var hit in hits)
            {
                result[hit.ArticleId] += o.FullTextWeight * Math.Max(0, hit.Score) / max;
            }
        }
        return result;
    }

    /// <summary>Keeps words that are in at most <see cref="RetrievalOptions.FullTextMaxWordShare"/> of the passages.</summary>
    public static Func<string, bool>? CommonWordFilter(KnowledgeMatrix matrix, RetrievalOptions o)
    {
        if (o.FullTextMaxWordShare >= 1 || matrix.Count < RetrievalOptions.MinPassagesForWordPruning)
        {
            return null;
        }
        var limit = o.FullTextMaxWordShare * matrix.Count;
        return word => matrix.DocumentFrequency(word) <= limit;
    }

    private async Task<HashSet<Guid>> AllowedAsync(Guid organizationId, RetrievalFilter filter, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var rows = await db.Knowledge.AsNoTracking()
            .Where(a => (a.OrganizationId == organizationId || a.OrganizationId == null) && a.IsActive == true)
            .Where(a => filter.Category == null || a.Category == filter.Category)
            .Select(a => new { a.Id, a.Tags })
            .ToListAsync(ct);
        return rows.Where(r => filter.Tags.Count == 0 || (r.Tags ?? []).Any(t => filter.Tags.Contains(t, StringComparer.OrdinalIgnoreCase)))
            .Select(r => r.Id).ToHashSet();
    }

    private static (float Top, float? Second) TopTwo(IEnumerable<float> scores)
    {
        float top = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (var s in scores)
        {
            if (s > top) (top, second) = (s, top);
            else if (s > second) second = s;
        }
        return (top, float.IsNegativeInfinity(second) ? null : second);
    }
}
