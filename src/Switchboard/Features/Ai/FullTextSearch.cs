using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;

namespace Switchboard.Features.Ai;

/// <summary>An article found by full-text search: the rank of its best passage (higher is better).</summary>
public sealed record FullTextHit(Guid ArticleId, double Score);

/// <summary>
/// The database's own full-text search over passages: SQLite FTS5 (table knowledge_chunks_fts, kept
/// in sync by triggers, ranked with bm25) or PostgreSQL (generated tsvector column
/// knowledge_chunks.search_vector with a GIN index, ranked with ts_rank_cd). A question matches a
/// passage sharing any of its words (OR). Runs on the trusted path like <see cref="VectorIndex"/>,
/// so every query names the organization itself: its own active articles and active global ones, never another's.
/// </summary>
public sealed partial class FullTextSearch(SystemDb systemDb, IOptions<DatabaseOptions> database)
{
    /// <summary>Words of the question, at most this many: a pasted essay must not become a 500-term query.</summary>
    public const int MaxTerms = 32;

    /// <param name="keep">Which of the question's words to search for (null: all). The hybrid retriever drops words
    /// found in a large share of the organization's passages: ranking every passage that contains "my" costs
    /// most of the query's time and says almost nothing (docs/eval.md).</param>
    public async Task<List<FullTextHit>> SearchAsync(Guid organizationId, string question, int limit, CancellationToken ct,
        Func<string, bool>? keep = null)
    {
        var terms = Terms(question);
        if (keep is not null)
        {
            terms = terms.Where(keep).ToList();
        }
        if (terms.Count == 0)
        {
            return [];
        }
        await using var db = systemDb.CreateContext();
        if (database.Value.Provider == DatabaseProvider.Postgres)
        {
            // websearch_to_tsquery never fails on user text; "or" between words gives OR semantics.
            var query = string.Join(" or ", terms);
            return await db.Database.SqlQuery<FullTextHit>($"""
                SELECT c.article_id AS article_id, max(ts_rank_cd(c.search_vector, q))::float8 AS score
                FROM knowledge_chunks c
                JOIN ai_knowledge_base a ON a.id = c.article_id
                CROSS JOIN websearch_to_tsquery('english', {query}) q
                WHERE c.search_vector @@ q
                  AND (c.organization_id = {organizationId} OR c.organization_id IS NULL)
                  AND a.organization_id IS NOT DISTINCT FROM c.organization_id
                  AND a.is_active = TRUE
                GROUP BY c.article_id
                ORDER BY 2 DESC, 1
                LIMIT {limit}
                """).ToListAsync(ct);
        }
        // Each term quoted, so FTS5 operators in the question (NEAR, *, ^, column filters) are plain words.
        var match = string.Join(" OR ", terms.Select(t => "\"" + t + "\""));
        // bm25() is only allowed in the full-text query itself, so that query is materialized first;
        // the organization and active filters apply to the join back to knowledge_chunks.
        return await db.Database.SqlQuery<FullTextHit>($"""
            WITH matched AS MATERIALIZED (
                SELECT rowid AS chunk_rowid, -bm25(knowledge_chunks_fts, 1.0, 0.0) AS score
                FROM knowledge_chunks_fts
                WHERE knowledge_chunks_fts MATCH {match}
            )
            SELECT c.article_id AS article_id, max(m.score) AS score
            FROM matched m
            JOIN knowledge_chunks c ON c.rowid = m.chunk_rowid
            JOIN ai_knowledge_base a ON a.id = c.article_id
            WHERE (c.organization_id = {organizationId} OR c.organization_id IS NULL)
              AND a.organization_id IS c.organization_id
              AND a.is_active = 1
            GROUP BY c.article_id
            ORDER BY 2 DESC, 1
            LIMIT {limit}
            """).ToListAsync(ct);
    }

    /// <summary>The question's distinct words, lower-case, letters and digits only.</summary>
    /// <remarks>No stop-word list: dropping a list of 80 lowered answer accuracy on banking77 from 0.922 to 0.917
    /// (docs/eval.md), because words like "why" and "not" tell intents apart. What is dropped instead is
    /// decided per knowledge base by document frequency (<see cref="KnowledgeMatrix.DocumentFrequency"/>).</remarks>
    public static List<string> Terms(string question) =>
        Word().Matches(question.ToLowerInvariant()).Select(m => m.Value).Distinct().Take(MaxTerms).ToList();

    /// <summary>Distinct words of one passage, as <see cref="Terms"/> splits questions.</summary>
    public static IEnumerable<string> Words(string text) => Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).Distinct();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}
