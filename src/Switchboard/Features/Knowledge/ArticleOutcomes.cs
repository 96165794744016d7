using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Data;
using Switchboard.Data.Configurations;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Knowledge;

/// <summary>
/// One thing that happened to an article that an AI answer cited (table knowledge_article_outcomes,
/// docs/schema.md): a customer's thumb on that answer, or how the session ended. The rows are the
/// audit trail of an article's effectiveness_score, which is always recomputed from them.
/// </summary>
public sealed class KnowledgeArticleOutcome
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The session's organization, also for outcomes of global articles.</summary>
    public Guid OrganizationId { get; set; }

    public Guid ArticleId { get; set; }
    public Guid SessionId { get; set; }

    /// <summary>The rated AI answer (<see cref="OutcomeKinds.Feedback"/>); null for a session outcome.</summary>
    public Guid? MessageId { get; set; }

    public required string Kind { get; set; }
    public bool Positive { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}

public static class OutcomeKinds
{
    /// <summary>Helpful / not helpful on one AI answer; one row per (answer, article), the latest thumb wins.</summary>
    public const string Feedback = "feedback";

    /// <summary>Resolved without escalation / escalated; one row per (session, article).</summary>
    public const string Session = "session";
}

internal sealed class KnowledgeArticleOutcomeConfiguration(ProviderSql sql) : IEntityTypeConfiguration<KnowledgeArticleOutcome>
{
    public void Configure(EntityTypeBuilder<KnowledgeArticleOutcome> e)
    {
        e.ToTable("knowledge_article_outcomes", t => t.HasCheckConstraint("ck_knowledge_article_outcomes_kind",
            "(kind = 'feedback' AND message_id IS NOT NULL) OR (kind = 'session' AND message_id IS NULL)"));
        e.TimestampsAndId(sql, updatedAt: true);
        e.Property(x => x.Kind).HasMaxLength(20);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<KnowledgeArticle>().WithMany().HasForeignKey(x => x.ArticleId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<ChatbotSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<ConversationMessage>().WithMany().HasForeignKey(x => x.MessageId).OnDelete(DeleteBehavior.Cascade);
        // The idempotency keys: a retried or changed event updates its row, it never adds one.
        e.HasIndex(x => new { x.MessageId, x.ArticleId }).IsUnique()
            .HasDatabaseName("ux_knowledge_article_outcomes_feedback").HasFilter("kind = 'feedback'");
        e.HasIndex(x => new { x.SessionId, x.ArticleId }).IsUnique()
            .HasDatabaseName("ux_knowledge_article_outcomes_session").HasFilter("kind = 'session'");
        // Recomputing a score reads all rows of one article; row-level security filters on the organization.
        e.HasIndex(x => new { x.ArticleId, x.OrganizationId });
        e.HasIndex(x => x.OrganizationId);
    }
}

/// <summary>
/// Records outcomes and keeps effectiveness_score in step with them (docs/ai.md "Learning from
/// outcomes"). Every entry point is idempotent: it upserts on the outcome's key and then recomputes
/// the affected articles' scores from their rows in the same transaction, so a retry, a second click
/// or a second node changes nothing. Every escalation path (the widget, the customer's PATCH, the
/// escalation engine) calls <see cref="SessionEscalatedAsync"/>; every resolution
/// <see cref="SessionResolvedAsync"/>. Runs on the trusted path: callers have already checked that
/// the caller may act on the session.
/// </summary>
public sealed class ArticleOutcomes(SystemDb systemDb, ArticleScoreCache scores, ILogger<ArticleOutcomes> logger)
{
    /// <summary>Decimal places effectiveness_score is stored with (the seed's DECIMAL has no scale; both providers store the same value).</summary>
    public const int ScoreDecimals = 4;

    /// <summary>The key in chatbot_sessions.ai_context that says the session was escalated once; it is never removed.</summary>
    public const string EscalatedAtKey = "escalatedAt";

    public enum FeedbackResult { Recorded, MessageNotFound, NotAnAiAnswer }

    /// <summary>
    /// A customer's thumb on an AI answer of <paramref name="sessionId"/>: stored in the message's
    /// ai_metadata.feedback and as a <c>feedback</c> outcome for every article the answer cited.
    /// </summary>
    public Task<FeedbackResult> FeedbackAsync(Guid sessionId, Guid messageId, bool helpful, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var message = await db.Messages.SingleOrDefaultAsync(m => m.Id == messageId && m.SessionId == sessionId, ct);
            if (message is null) return (FeedbackResult.MessageNotFound, null);
            if (message.MessageType != MessageTypes.Ai) return (FeedbackResult.NotAnAiAnswer, null);
            var metadata = JsonNode.Parse(string.IsNullOrEmpty(message.AiMetadata) ? "{}" : message.AiMetadata)!.AsObject();
            metadata["feedback"] = new JsonObject { ["helpful"] = helpful, ["at"] = DateTimeOffset.UtcNow };
            message.AiMetadata = metadata.ToJsonString();

            var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.OrganizationId).SingleAsync(ct);
            var cited = await OwnArticlesAsync(db, session, CitedIn(message.AiMetadata), ct);
            var existing = await db.ArticleOutcomes
                .Where(o => o.Kind == OutcomeKinds.Feedback && o.MessageId == messageId)
                .ToDictionaryAsync(o => o.ArticleId, ct);
            foreach (var article in cited)
            {
                if (existing.TryGetValue(article, out var row))
                {
                    row.Positive = helpful;
                }
                else
                {
                    db.ArticleOutcomes.Add(new KnowledgeArticleOutcome
                    {
                        OrganizationId = session, ArticleId = article, SessionId = sessionId, MessageId = messageId,
                        Kind = OutcomeKinds.Feedback, Positive = helpful,
                    });
                }
            }
            await db.SaveChangesAsync(ct);
            return (FeedbackResult.Recorded, new Touched(session, cited));
        }, ct);

    /// <summary>
    /// The session went to a person: a negative <c>session</c> outcome for every article an AI answer
    /// cited in it so far (a positive one from an earlier resolution turns negative), and the session
    /// is marked escalated for good (<see cref="EscalatedAtKey"/>). Call it after the status change,
    /// also when the session already was escalated: that repairs an escalation whose outcome write failed.
    /// </summary>
    public Task SessionEscalatedAsync(Guid sessionId, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var session = await db.Sessions.SingleOrDefaultAsync(s => s.Id == sessionId, ct);
            if (session is null) return (true, null);
            var context = ParseObject(session.AiContext);
            if (context[EscalatedAtKey] is null)
            {
                context[EscalatedAtKey] = DateTimeOffset.UtcNow;
                session.AiContext = context.ToJsonString();
            }
            var cited = await CitedInSessionAsync(db, session, ct);
            var existing = await db.ArticleOutcomes.Where(o => o.Kind == OutcomeKinds.Session && o.SessionId == sessionId)
                .ToDictionaryAsync(o => o.ArticleId, ct);
            foreach (var article in cited)
            {
                if (existing.TryGetValue(article, out var row)) row.Positive = false;
                else db.ArticleOutcomes.Add(SessionRow(session, article, positive: false));
            }
            await db.SaveChangesAsync(ct);
            return (true, new Touched(session.OrganizationId, cited));
        }, ct);

    /// <summary>
    /// The session was resolved: a positive <c>session</c> outcome for every article cited in it, unless
    /// it was ever escalated (<see cref="EscalatedAtKey"/>), in which case its negative outcomes stand
    /// and nothing is added. Idempotent.
    /// </summary>
    public Task SessionResolvedAsync(Guid sessionId, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, ct);
            if (session is null || WasEscalated(session.AiContext)) return (true, null);
            var cited = await CitedInSessionAsync(db, session, ct);
            var existing = await db.ArticleOutcomes.Where(o => o.Kind == OutcomeKinds.Session && o.SessionId == sessionId)
                .Select(o => o.ArticleId).ToListAsync(ct);
            var added = cited.Except(existing).ToList();
            db.ArticleOutcomes.AddRange(added.Select(a => SessionRow(session, a, positive: true)));
            await db.SaveChangesAsync(ct);
            return (true, new Touched(session.OrganizationId, added));
        }, ct);

    /// <summary>Whether the session was ever escalated, as <see cref="SessionEscalatedAsync"/> marked it.</summary>
    public static bool WasEscalated(string? aiContext) => ParseObject(aiContext)[EscalatedAtKey] is not null;

    /// <summary>effectiveness_score as stored: the Bayesian average (<see cref="ArticleScores.Effectiveness"/>) rounded to <see cref="ScoreDecimals"/>.</summary>
    public static decimal StoredScore(int positive, int negative) =>
        Math.Round((decimal)ArticleScores.Effectiveness(positive, negative), ScoreDecimals, MidpointRounding.AwayFromZero);

    private sealed record Touched(Guid OrganizationId, List<Guid> Articles);

    /// <summary>
    /// One transaction: the write, then the scores of the articles it touched, recomputed from all their
    /// rows. Retried when a concurrent writer took a unique key first (the retry then updates that row).
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<AppDbContext, Task<(T Result, Touched? Touched)>> write, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = systemDb.CreateContext();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            try
            {
                var (result, touched) = await write(db);
                if (touched is { Articles.Count: > 0 })
                {
                    await RecomputeAsync(db, touched.Articles, ct);
                }
                await transaction.CommitAsync(ct);
                if (touched is not null) scores.Invalidate(touched.OrganizationId);
                return result;
            }
            catch (DbUpdateException e) when (attempt < 4)
            {
                logger.LogDebug(e, "A concurrent outcome write took the same key; trying again (attempt {Attempt})", attempt);
                await transaction.RollbackAsync(ct);
            }
        }
    }

    /// <summary>
    /// Rewrites effectiveness_score of the organization articles among <paramref name="articles"/> from
    /// their outcome rows. Global articles keep their stored score: it is one column shared by every
    /// organization, and writing one organization's outcomes into it would show them to the others;
    /// each organization ranks a global article by its own outcomes instead (<see cref="ArticleScoreCache"/>).
    /// </summary>
    private static async Task RecomputeAsync(AppDbContext db, List<Guid> articles, CancellationToken ct)
    {
        var counts = await db.ArticleOutcomes.Where(o => articles.Contains(o.ArticleId))
            .GroupBy(o => o.ArticleId)
            .Select(g => new { ArticleId = g.Key, Positive = g.Count(o => o.Positive), Negative = g.Count(o => !o.Positive) })
            .ToDictionaryAsync(c => c.ArticleId, ct);
        foreach (var article in articles)
        {
            var c = counts.GetValueOrDefault(article);
            var score = StoredScore(c?.Positive ?? 0, c?.Negative ?? 0);
            // ExecuteUpdate leaves updated_at alone: an outcome is not an edit of the article.
            await db.Knowledge.Where(a => a.Id == article && a.OrganizationId != null)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.EffectivenessScore, score), ct);
        }
    }

    /// <summary>The articles AI answers of the session cited (ai_metadata.sources), of the session's organization or global.</summary>
    private static async Task<List<Guid>> CitedInSessionAsync(AppDbContext db, ChatbotSession session, CancellationToken ct)
    {
        var metadata = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == session.Id && m.MessageType == MessageTypes.Ai)
            .Select(m => m.AiMetadata).ToListAsync(ct);
        var cited = metadata.SelectMany(CitedIn);
        return await OwnArticlesAsync(db, session.OrganizationId, cited, ct);
    }

    // ai_metadata is JSON written by other code too: a message without (or with malformed) sources cited nothing.
    private static IEnumerable<Guid> CitedIn(string? aiMetadata) =>
        AiMetadata.Parse(aiMetadata)?.Sources?.Where(s => s is not null).Select(s => s.ArticleId) ?? [];

    // An answer can only cite what retrieval returned (the organization's and global articles), but the
    // metadata is JSON: outcomes are only ever recorded against articles that still exist and fit.
    private static async Task<List<Guid>> OwnArticlesAsync(AppDbContext db, Guid organizationId, IEnumerable<Guid> ids, CancellationToken ct)
    {
        var distinct = ids.Distinct().ToList();
        if (distinct.Count == 0) return [];
        var found = await db.Knowledge.AsNoTracking()
            .Where(a => distinct.Contains(a.Id) && (a.OrganizationId == organizationId || a.OrganizationId == null))
            .Select(a => a.Id).ToListAsync(ct);
        return [.. distinct.Where(found.Contains)];
    }

    private static KnowledgeArticleOutcome SessionRow(ChatbotSession session, Guid article, bool positive) => new()
    {
        OrganizationId = session.OrganizationId, ArticleId = article, SessionId = session.Id, Kind = OutcomeKinds.Session, Positive = positive,
    };

    private static JsonObject ParseObject(string? json) =>
        (string.IsNullOrWhiteSpace(json) ? null : JsonNode.Parse(json) as JsonObject) ?? [];
}
