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
/// Passages are kept per embedding model: when the configured model changes, its passages are written
/// beside the previous model's, which keep serving answers until the configured model covers all the
/// knowledge; then <see cref="IndexAllAsync"/> deletes the previous model's (docs/ai.md, "Changing the model").
/// Runs on the trusted path: callers have already authorized the change.
/// </summary>
public sealed class KnowledgeIndexer(SystemDb systemDb, EmbeddingModels models, VectorIndex index, ReembeddingStatus status, ILogger<KnowledgeIndexer> logger)
{
    private const int ArticlesPerRound = 200;
    private const int PassagesPerEmbeddingCall = 256;

    public string Model => models.Configured;

    /// <summary>
    /// Every article, so that anything written while nobody was indexing (first run, a crash, a model change) is caught
    /// up; then, once the configured model has passages for every article that has any, the other models' are deleted
    /// and retrieval switches to the configured model. Throws if the configured model fails: run it again later, what
    /// was written is kept and not embedded again.
    /// </summary>
    public async Task<IndexingResult> IndexAllAsync(IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        List<Guid> ids;
        await using (var db = systemDb.CreateContext())
        {
            ids = await db.Knowledge.AsNoTracking().Select(a => a.Id).ToListAsync(ct);
        }
        var previous = await PreviousModelsAsync(ct);
        if (previous.Count == 0)
        {
            status.NothingToReembed();
        }
        else
        {
            status.Started(previous);
            logger.LogInformation("Embedding model changed to {Model}: re-embedding {Articles} articles in the background; answers keep using {Previous} meanwhile",
                Model, ids.Count, string.Join(", ", previous));
        }
        try
        {
            var result = await IndexAsync(ids, progress, ct);
            if (previous.Count > 0)
            {
                await RetirePreviousModelsAsync(ct);
            }
            return result;
        }
        catch (Exception e) when (previous.Count > 0 && !ct.IsCancellationRequested)
        {
            status.Failed(e.Message);
            throw;
        }
    }

    /// <param name="progress">Passages embedded so far and passages to embed with the configured model, for a progress bar.</param>
    public async Task<IndexingResult> IndexAsync(IReadOnlyCollection<Guid> articleIds, IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        var result = await IndexWithAsync(Model, models.ConfiguredGenerator, articleIds, progress, ct);
        // While a model change is in progress the previous model keeps serving answers, so an edit or a new article
        // must reach its passages too, or the answers would quote the old text or miss the new article.
        foreach (var previous in await PreviousModelsAsync(ct))
        {
            try
            {
                var generator = models.Get(previous)
                    ?? throw new InvalidOperationException($"Nothing configured can embed with '{previous}'.");
                await IndexWithAsync(previous, generator, articleIds, null, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Never serve stale text: the article's passages of that model go, and its coverage with them.
                logger.LogWarning(e, "The previous embedding model {Previous} could not re-embed changed articles; their {Previous} passages are dropped", previous, previous);
                await DropStaleAsync(previous, articleIds, ct);
            }
        }
        return result;
    }

    private async Task<IndexingResult> IndexWithAsync(string model, IEmbeddingGenerator<string, Embedding<float>> embeddings,
        IReadOnlyCollection<Guid> articleIds, IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        var configured = model == Model;
        var plans = new List<ArticlePlan>();
        foreach (var round in articleIds.Distinct().Chunk(ArticlesPerRound))
        {
            plans.AddRange(await PlanAsync(round, model, configured, ct));
        }

        var total = plans.Sum(p => p.Passages.Count(x => x.Embedding is null));
        var done = 0;
        progress?.Report((0, total));
        if (configured) status.Progress(0, total);
        // Written batch by batch, so a restart (or a failure) keeps what was embedded and goes on from there.
        foreach (var batch in Batches(plans))
        {
            var missing = batch.SelectMany(p => p.Passages).Where(p => p.Embedding is null).ToList();
            for (var start = 0; start < missing.Count; start += PassagesPerEmbeddingCall)
            {
                var slice = missing.Skip(start).Take(PassagesPerEmbeddingCall).ToList();
                var vectors = await embeddings.GenerateAsync(slice.Select(p => p.Text), cancellationToken: ct);
                for (var i = 0; i < slice.Count; i++)
                {
                    slice[i].Embedding = vectors[i].Vector.ToArray();
                }
                done += slice.Count;
                progress?.Report((done, total));
                if (configured) status.Progress(done, total);
            }
            foreach (var plan in batch)
            {
                await WriteAsync(plan, model, configured, ct);
            }
            foreach (var organization in batch.Select(p => p.OrganizationId).Distinct())
            {
                index.Invalidate(organization, model);
            }
            if (total > PassagesPerEmbeddingCall)
            {
                logger.LogInformation("Embedding with {Model}: {Done} of {Total} passages", model, done, total);
            }
        }
        if (plans.Count > 0)
        {
            logger.LogInformation("Indexed {Articles} articles ({Embedded} passages embedded with {Model})", plans.Count, total, model);
        }
        return new IndexingResult(plans.Count, total);
    }

    /// <summary>Articles in groups whose passages to embed fill about one embedding call.</summary>
    private static IEnumerable<List<ArticlePlan>> Batches(List<ArticlePlan> plans)
    {
        var batch = new List<ArticlePlan>();
        var passages = 0;
        foreach (var plan in plans)
        {
            batch.Add(plan);
            passages += plan.Passages.Count(p => p.Embedding is null);
            if (passages >= PassagesPerEmbeddingCall)
            {
                yield return batch;
                batch = [];
                passages = 0;
            }
        }
        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>Models other than the configured one that still have passages: a model change is in progress.</summary>
    public async Task<List<string>> PreviousModelsAsync(CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var model = Model;
        return await db.KnowledgeChunks.AsNoTracking().Where(c => c.EmbeddingModel != model)
            .Select(c => c.EmbeddingModel).Distinct().OrderBy(m => m).ToListAsync(ct);
    }

    /// <summary>
    /// Once every article with passages has the configured model's, the other models' passages go (in one statement,
    /// so retrieval switches for every organization at once) and every organization's matrix is reloaded.
    /// </summary>
    private async Task RetirePreviousModelsAsync(CancellationToken ct)
    {
        var model = Model;
        await using var db = systemDb.CreateContext();
        var uncovered = await db.KnowledgeChunks.AsNoTracking()
            .Where(c => c.EmbeddingModel != model && !db.KnowledgeChunks.Any(d => d.ArticleId == c.ArticleId && d.EmbeddingModel == model))
            .Select(c => c.ArticleId).Distinct().CountAsync(ct);
        if (uncovered > 0)
        {
            // Articles written while this ran that the configured model missed: the previous model keeps serving.
            throw new InvalidOperationException($"{uncovered} articles still lack passages of {model}; the previous model keeps serving until the next run.");
        }
        var deleted = await db.KnowledgeChunks.Where(c => c.EmbeddingModel != model).ExecuteDeleteAsync(ct);
        index.Invalidate(null);
        status.Completed();
        logger.LogInformation("Re-embedding with {Model} complete: retrieval uses it for every organization; {Deleted} passages of previous models deleted", model, deleted);
    }

    private async Task DropStaleAsync(string model, IReadOnlyCollection<Guid> articleIds, CancellationToken ct)
    {
        foreach (var round in articleIds.Distinct().Chunk(ArticlesPerRound))
        {
            await using var db = systemDb.CreateContext();
            var organizations = await db.KnowledgeChunks.AsNoTracking().Where(c => round.Contains(c.ArticleId) && c.EmbeddingModel == model)
                .Select(c => c.OrganizationId).Distinct().ToListAsync(ct);
            // Only articles whose stored text differs are stale; the planner tells which.
            var stale = (await PlanAsync(round, model, configured: false, ct)).Select(p => p.ArticleId).ToList();
            await db.KnowledgeChunks.Where(c => stale.Contains(c.ArticleId) && c.EmbeddingModel == model).ExecuteDeleteAsync(ct);
            foreach (var organization in organizations)
            {
                index.Invalidate(organization, model);
            }
        }
    }

    /// <summary>Articles whose passages differ from what is stored, with every embedding that can be reused filled in.</summary>
    /// <param name="configured">The configured model also owns the article's own embedding (ai_knowledge_base.embeddings).</param>
    private async Task<List<ArticlePlan>> PlanAsync(Guid[] ids, string model, bool configured, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var articles = await db.Knowledge.AsNoTracking().Where(a => ids.Contains(a.Id))
            .Select(a => new { a.Id, a.OrganizationId, a.Title, a.Content, a.EmbeddingModel, HasEmbedding = a.Embeddings != null })
            .ToListAsync(ct);
        var stored = (await db.KnowledgeChunks.AsNoTracking().Where(c => ids.Contains(c.ArticleId) && c.EmbeddingModel == model)
                .Select(c => new { c.ArticleId, c.Ordinal, c.ContentHash, c.OrganizationId })
                .ToListAsync(ct))
            .ToLookup(c => c.ArticleId);

        var plans = new List<ArticlePlan>();
        var reusable = new List<Guid>();
        foreach (var article in articles)
        {
            var passages = KnowledgeChunker.Split(article.Content, article.Title)
                .Select(p => new PlannedPassage(p.Text, KnowledgeChunker.Hash(model, p.Text), p.Heading))
                .ToList();
            var existing = stored[article.Id].OrderBy(c => c.Ordinal).ToList();
            var unchanged = (!configured || (article.EmbeddingModel == model && article.HasEmbedding))
                && existing.Count == passages.Count
                && existing.All(c => c.OrganizationId == article.OrganizationId)
                && existing.Select(c => c.ContentHash).SequenceEqual(passages.Select(p => p.Hash));
            if (!unchanged)
            {
                plans.Add(new ArticlePlan(article.Id, article.OrganizationId, article.Content, passages));
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

    private async Task WriteAsync(ArticlePlan plan, string model, bool configured, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The catch-up and the indexing of written articles run side by side: a plan made from text that has been
        // edited since is dropped (the edit queued the article again), so older text never overwrites newer.
        var content = await db.Knowledge.AsNoTracking().Where(a => a.Id == plan.ArticleId).Select(a => a.Content).FirstOrDefaultAsync(ct);
        if (content != plan.Content)
        {
            logger.LogInformation("Article {Article} changed while it was indexed; skipped", plan.ArticleId);
            return;
        }
        // Only this model's passages: another model's stay until a model change is complete.
        await db.KnowledgeChunks.Where(c => c.ArticleId == plan.ArticleId && c.EmbeddingModel == model).ExecuteDeleteAsync(ct);
        db.KnowledgeChunks.AddRange(plan.Passages.Select((p, i) => new KnowledgeChunk
        {
            ArticleId = plan.ArticleId,
            OrganizationId = plan.OrganizationId,
            Ordinal = i,
            Text = p.Text,
            Heading = p.Heading,
            Embedding = p.Embedding!,
            EmbeddingModel = model,
            ContentHash = p.Hash,
        }));
        var mean = Mean(plan.Passages.Select(p => p.Embedding!).ToList());
        try
        {
            await db.SaveChangesAsync(ct);
            if (configured)
            {
                // ExecuteUpdate, not SaveChanges: computing an embedding is not an edit, so updated_at stays.
                await db.Knowledge.Where(a => a.Id == plan.ArticleId)
                    .ExecuteUpdateAsync(s => s.SetProperty(a => a.Embeddings, mean).SetProperty(a => a.EmbeddingModel, model), ct);
            }
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

    private sealed record ArticlePlan(Guid ArticleId, Guid? OrganizationId, string Content, List<PlannedPassage> Passages);

    private sealed class PlannedPassage(string text, string hash, string? heading)
    {
        public string Text { get; } = text;
        public string Hash { get; } = hash;
        public string? Heading { get; } = heading;
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
/// (after migrations and the demo data), then each article as it is written. The catch-up (which, after a
/// model change, is the whole re-embedding) runs beside the indexing of written articles, so a new article
/// is answerable while a long re-embedding goes on; a catch-up that fails (e.g. the new model's endpoint is
/// down) is retried with a doubling wait (<see cref="ReembeddingOptions"/>).
/// </summary>
public sealed class KnowledgeIndexingService(KnowledgeIndexQueue queue, KnowledgeIndexer indexer, IHostApplicationLifetime lifetime,
    ReembeddingStatus status, Microsoft.Extensions.Options.IOptions<ReembeddingOptions> options, ILogger<KnowledgeIndexingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        await Task.WhenAll(CatchUpAsync(stoppingToken), IndexWrittenAsync(stoppingToken));
    }

    private async Task CatchUpAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var retry = TimeSpan.FromSeconds(options.Value.RetrySeconds);
        while (!await RunAsync(() => indexer.IndexAllAsync(null, stoppingToken), stoppingToken))
        {
            status.RetryAt(DateTimeOffset.UtcNow + retry);
            logger.LogInformation("Knowledge catch-up (re-embedding) failed; retrying in {Seconds:F0} s", retry.TotalSeconds);
            await Task.Delay(retry, stoppingToken);
            retry = TimeSpan.FromSeconds(Math.Min(retry.TotalSeconds * 2, options.Value.MaxRetrySeconds));
        }
    }

    private const int MaxAttempts = 5;

    private async Task IndexWrittenAsync(CancellationToken stoppingToken)
    {
        while (await queue.Reader.WaitToReadAsync(stoppingToken))
        {
            // Whatever queued up meanwhile goes in one run: 500 articles written at once are embedded in large batches.
            var ids = new HashSet<Guid>();
            while (ids.Count < 1000 && queue.Reader.TryRead(out var id))
            {
                ids.Add(id);
            }
            // A failed run (e.g. the database busy with the catch-up's writes) is tried again, so a written
            // article is not left unsearchable until the next restart: 1, 2, 4, 8 s apart, then given up (logged).
            for (var attempt = 0; !await RunAsync(() => indexer.IndexAsync(ids, null, stoppingToken), stoppingToken) && attempt < MaxAttempts - 1; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1 << attempt), stoppingToken);
            }
            queue.Finished(ids);
        }
    }

    private async Task<bool> RunAsync(Func<Task<IndexingResult>> work, CancellationToken stoppingToken)
    {
        try
        {
            await work();
            return true;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // One bad run must not stop indexing for good; the next write, retry or restart tries again.
            logger.LogError(e, "Indexing knowledge failed");
            return false;
        }
    }
}
