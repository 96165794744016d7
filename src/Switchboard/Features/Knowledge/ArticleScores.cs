using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Knowledge;

namespace Switchboard.Features.Ai;

/// <summary>
/// The effectiveness_score formula and the ranking nudge (docs/ai.md). An article's effectiveness is
/// the Bayesian average of its outcomes with a neutral prior worth <see cref="PriorWeight"/> outcomes:
/// <c>(positive + PriorWeight × Prior) / (positive + negative + PriorWeight)</c>. A new article scores
/// the prior (0.5); 3 helpful and no unhelpful outcome give 5.5 / 8 = 0.69; 2 unhelpful give 2.5 / 7 = 0.36.
/// One outcome moves an article by at most 0.5 / 6 ≈ 0.08, so a single angry click cannot bury it.
/// </summary>
public static class ArticleScores
{
    public const double Prior = 0.5;
    public const double PriorWeight = 5;

    public static double Effectiveness(int positive, int negative) =>
        (positive + PriorWeight * Prior) / (positive + negative + PriorWeight);

    /// <summary>
    /// A retrieval score moved by the article's effectiveness: <c>score × (1 + weight × (effectiveness − Prior))</c>,
    /// so with weight 0.1 an article moves by at most ±5 % of its score, enough to reorder close
    /// neighbours and not enough to lift an unrelated article over a relevant one.
    /// </summary>
    public static double Nudge(double score, double effectiveness, double weight) =>
        score * (1 + weight * (Math.Clamp(effectiveness, 0, 1) - Prior));

    /// <summary>
    /// The stored effectiveness_score as the ranking reads it: the seed's default 0 means "no outcome
    /// yet" (the formula never gives 0), which ranks as the prior.
    /// </summary>
    public static double Stored(decimal? value) => value is { } v && v > 0 ? (double)v : Prior;
}

/// <summary>Effectiveness scores of an organization's (and global) articles, cached until an outcome or an edit changes them.</summary>
public sealed class ArticleScoreCache(SystemDb systemDb)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset At, Dictionary<Guid, double> Scores)> _entries = new();

    public void Invalidate(Guid? organizationId)
    {
        if (organizationId is { } id) _entries.TryRemove(id, out _);
        else _entries.Clear();
    }

    public async Task<Dictionary<Guid, double>> GetAsync(Guid organizationId, CancellationToken ct)
    {
        if (_entries.TryGetValue(organizationId, out var entry) && DateTimeOffset.UtcNow - entry.At < MaxAge)
        {
            return entry.Scores;
        }
        await using var db = systemDb.CreateContext();
        var rows = await db.Knowledge.AsNoTracking()
            .Where(a => (a.OrganizationId == organizationId || a.OrganizationId == null) && a.IsActive == true)
            .Select(a => new { a.Id, a.EffectivenessScore })
            .ToListAsync(ct);
        var scores = rows.ToDictionary(r => r.Id, r => ArticleScores.Stored(r.EffectivenessScore));
        // A global article's stored score is shared by every organization and never learns from one
        // (ArticleOutcomes): here it is ranked by this organization's own outcomes, with the same formula.
        var global = await db.ArticleOutcomes.AsNoTracking()
            .Where(o => o.OrganizationId == organizationId)
            .Join(db.Knowledge.Where(a => a.OrganizationId == null && a.IsActive == true), o => o.ArticleId, a => a.Id, (o, _) => o)
            .GroupBy(o => o.ArticleId)
            .Select(g => new { ArticleId = g.Key, Positive = g.Count(o => o.Positive), Negative = g.Count(o => !o.Positive) })
            .ToListAsync(ct);
        foreach (var g in global)
        {
            scores[g.ArticleId] = ArticleScores.Effectiveness(g.Positive, g.Negative);
        }
        _entries[organizationId] = (DateTimeOffset.UtcNow, scores);
        return scores;
    }
}
