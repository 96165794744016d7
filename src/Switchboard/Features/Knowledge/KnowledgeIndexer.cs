using System.Numerics.Tensors;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Switchboard.Data;
using Switchboard.Features.Ai;

namespace Switchboard.Features.Knowledge;

/// <summary>What one indexing run did: articles whose passages changed, and passages that had to be embedded.</summary>
public sealed record IndexingResult(int ArticlesChanged, int PassagesEmbedded);

/// <summary>
/// Turns articles into embedded passages (knowledge_chunks) and gives each article its own
/// embedding (the normalised mean of its passages). Idempotent: a passage whose text and model are
/// unchanged keeps its stored embedding, and an unchanged article is not written at all.
/// Runs on the trusted path: callers have already authorized the change.
/// </summary>
public sealed class KnowledgeIndexer(SystemDb systemDb, IEmbeddingGenerator<string, Embedding<float>> embeddings, VectorIndex index, ILogger<KnowledgeIndexer> logger)
{
    private const int ArticlesPerRound = 200;
    private const int PassagesPerEmbeddingCall = 256;

    public string Model => embeddings.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId ?? "unknown";

    /// <summary>Every article, so that anything written while nobody was indexing (first run, a crash, a model change) is caught up.</summary>
    public async Task<IndexingResult> IndexAllAsync(IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        List<Guid> ids;
        await using (var db = systemDb.CreateContext())
        {
            ids = await db.Knowledge.AsNoTracking().Select(a => a.Id).ToListAsync(ct);
        }
        return await IndexAsync(ids, progress, ct);
    }

    /// <param name="progress">Passages embedded so far and passages to embed, for a progress bar.</param>
    public async Task<IndexingResult> IndexAsync(IReadOnlyCollection<Guid> articleIds, IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        var model = Model;
        var plans = new List<ArticlePlan>();
        foreach (var round in articleIds.Distinct().Chunk(ArticlesPerRound))
        {
            plans.AddRange(await PlanAsync(round, model, ct));
        }

        var missing = plans.SelectMany(p => p.Passages).Where(p => p.Embedding is null).ToList();
        progress?.Report((0, missing.Count));
        for (var start = 0; start < missing.Count; start += PassagesPerEmbeddingCall)
        {
            var batch = missing.Skip(start).Take(PassagesPerEmbeddingCall).ToList();
            var vectors = await embeddings.GenerateAsync(batch.Select(p => p.Text), cancellationToken: ct);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Embedding = vectors[i].Vector.ToArray();
            }
            progress?.Report((start + batch.Count, missing.Count));
        }

        foreach (var plan in plans)
        {
            await WriteAsync(plan, model, ct);
        }
        foreach (var organization in plans.Select(p => p.OrganizationId).Distinct())
        {
            index.Invalidate(organization);
        }
        if (plans.Count > 0)
        {
            logger.LogInformation("Indexed {Articles} articles ({Embedded} passages embedded with {Model})", plans.Count, missing.Count, model);
        }
        return new IndexingResult(plans.Count, missing.Count);
    }

    /// <summary>Articles whose passages differ from what is stored, with every embedding that can be reused filled in.</summary>
    private async Task<List<ArticlePlan>> PlanAsync(Guid[] ids, string model, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var articles = await db.Knowledge.AsNoTracking().Where(a => ids.Contains(a.Id))
            .Select(a => new { a.Id, a.OrganizationId, a.Content, a.EmbeddingModel, HasEmbedding = a.Embeddings != null })
            .ToListAsync(ct);
        var stored = (await db.KnowledgeChunks.AsNoTracking().Where(c => ids.Contains(c.ArticleId))
                .Select(c => new { c.ArticleId, c.Ordinal, c.ContentHash, c.OrganizationId })
                .ToListAsync(ct))
            .ToLookup(c => c.ArticleId);

        var plans = new List<ArticlePlan>();
        var reusable = new List<Guid>();
        foreach (var article in articles)
        {
            var passages = KnowledgeChunker.Split(article.Content)
                .Select(text => new PlannedPassage(text, KnowledgeChunker.Hash(model, text)))
                .ToList();
            var existing = stored[article.Id].OrderBy(c => c.Ordinal).ToList();
            var unchanged = article.EmbeddingModel == model && article.HasEmbedding
                && existing.Count == passages.Count
                && existing.All(c => c.OrganizationId == article.OrganizationId)
                && existing.Select(c => c.ContentHash).SequenceEqual(passages.Select(p => p.Hash));
            if (!unchanged)
            {
                plans.Add(new ArticlePlan(article.Id, article.OrganizationId, passages));
                reusable.Add(article.Id);
            }
        }

        // Only the changed articles' vectors are read: an edit re-embeds the passages it touched, no more.
        if (reusable.Count > 0)
        {
            var vectors = await db.KnowledgeChunks.AsNoTracking()
                .Where(c => reusable.Contains(c.ArticleId) && c.EmbeddingModel == model)
                .Select(c => new { c.ArticleId, c.ContentHash, c.Embedding })
                .ToListAsync(ct);
            var byArticle = vectors.ToLookup(v => v.ArticleId);
            foreach (var plan in plans)
            {
                var known = byArticle[plan.ArticleId].GroupBy(v => v.ContentHash).ToDictionary(g => g.Key, g => g.First().Embedding);
                foreach (var passage in plan.Passages)
                {
                    passage.Embedding = known.GetValueOrDefault(passage.Hash);
                }
            }
        }
        return plans;
    }

    private async Task WriteAsync(ArticlePlan plan, string model, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.KnowledgeChunks.Where(c => c.ArticleId == plan.ArticleId).ExecuteDeleteAsync(ct);
        db.KnowledgeChunks.AddRange(plan.Passages.Select((p, i) => new KnowledgeChunk
        {
            ArticleId = plan.ArticleId,
            OrganizationId = plan.OrganizationId,
            Ordinal = i,
            Text = p.Text,
            Embedding = p.Embedding!,
            EmbeddingModel = model,
            ContentHash = p.Hash,
        }));
        var mean = Mean(plan.Passages.Select(p => p.Embedding!).ToList());
        try
        {
            await db.SaveChangesAsync(ct);
            // ExecuteUpdate, not SaveChanges: computing an embedding is not an edit, so updated_at stays.
            await db.Knowledge.Where(a => a.Id == plan.ArticleId)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Embeddings, mean).SetProperty(a => a.EmbeddingModel, model), ct);
            await transaction.CommitAsync(ct);
        }
        catch (DbUpdateException e)
        {
            // Deleted while it was being embedded: nothing left to index.
            logger.LogInformation(e, "Article {Article} changed while it was indexed; skipped", plan.ArticleId);
        }
    }

    /// <summary>The article's own vector: the mean direction of its passages.</summary>
    private static float[]? Mean(List<float[]> vectors)
    {
        if (vectors.Count == 0)
        {
            return null;
        }
        var sum = new float[vectors[0].Length];
        foreach (var v in vectors)
        {
            TensorPrimitives.Add(sum, v, sum);
        }
        var norm = TensorPrimitives.Norm(sum);
        if (norm > 0)
        {
            TensorPrimitives.Divide(sum, norm, sum);
        }
        return sum;
    }

    private sealed record ArticlePlan(Guid ArticleId, Guid? OrganizationId, List<PlannedPassage> Passages);

    private sealed class PlannedPassage(string text, string hash)
    {
        public string Text { get; } = text;
        public string Hash { get; } = hash;
        public float[]? Embedding { get; set; }
    }
}

/// <summary>Articles waiting to be indexed. Knowledge writes enqueue here and return at once.</summary>
public sealed class KnowledgeIndexQueue(KnowledgeIndexingStatus? status = null)
{
    private readonly Channel<Guid> _channel = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(Guid articleId)
    {
        status?.Queued(articleId); // the console's "Indexing n articles…" (KnowledgeIndexingStatus.cs)
        _channel.Writer.TryWrite(articleId);
    }

    /// <summary>The background indexer's run with these articles has ended.</summary>
    public void Finished(IEnumerable<Guid> articleIds) => status?.Finished(articleIds);

    public ChannelReader<Guid> Reader => _channel.Reader;
}

/// <summary>
/// Indexes knowledge in the background: everything not yet indexed once the server has started
/// (after migrations and the demo data), then each article as it is written.
/// </summary>
public sealed class KnowledgeIndexingService(KnowledgeIndexQueue queue, KnowledgeIndexer indexer, IHostApplicationLifetime lifetime,
    ILogger<KnowledgeIndexingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        await RunAsync(() => indexer.IndexAllAsync(null, stoppingToken), stoppingToken);

        while (await queue.Reader.WaitToReadAsync(stoppingToken))
        {
            // Whatever queued up meanwhile goes in one run: 500 articles written at once are embedded in large batches.
            var ids = new HashSet<Guid>();
            while (ids.Count < 1000 && queue.Reader.TryRead(out var id))
            {
                ids.Add(id);
            }
            await RunAsync(() => indexer.IndexAsync(ids, null, stoppingToken), stoppingToken);
            queue.Finished(ids);
        }
    }

    private async Task RunAsync(Func<Task<IndexingResult>> work, CancellationToken stoppingToken)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // One bad run must not stop indexing for good; the next write or restart tries again.
            logger.LogError(e, "Indexing knowledge failed");
        }
    }
}
