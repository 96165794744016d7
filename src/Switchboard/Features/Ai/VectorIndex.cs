using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Switchboard.Data;

namespace Switchboard.Features.Ai;

/// <summary>One article found for a question: its score is that of its best passage.</summary>
public sealed record RetrievedArticle(Guid ArticleId, string Title, double Score, string Passage)
{
    /// <summary>How the hybrid retriever ranked it (null from plain vector search).</summary>
    public RankingParts? Ranking { get; init; }
}

/// <summary>
/// The evidence behind an article's rank: the mean of its two best passages, the article classifier's
/// weighted probability, its full-text rank (bm25 / ts_rank_cd, null when no word matched), the
/// effectiveness that nudged it, and the fused score it was ranked by.
/// </summary>
public sealed record RankingParts(double Vector, double? Classifier, double? FullText, double Effectiveness, double Fused);

/// <summary>What retrieval found and whether it is strong enough to answer from.</summary>
public sealed record Retrieval(IReadOnlyList<RetrievedArticle> Articles, double Evidence, double Confidence, bool Answerable);

/// <summary>How far each embedding model covers one organization's searchable knowledge (its own and the global active articles).</summary>
/// <param name="Articles">Active articles (organization + global) that have passages of any model.</param>
/// <param name="ByModel">Of those, how many have passages of each model.</param>
public sealed record KnowledgeCoverage(int Articles, IReadOnlyDictionary<string, int> ByModel)
{
    public int Of(string model) => ByModel.GetValueOrDefault(model);

    public bool Covers(string model) => Of(model) == Articles;

    /// <summary>
    /// The model retrieval serves: the configured one once it covers every article; otherwise a previous model that
    /// still covers them all (answers stay complete while the configured model catches up); otherwise the model
    /// covering most (the configured one on a tie).
    /// </summary>
    public string Serving(string configured) =>
        Covers(configured) ? configured
        : ByModel.Where(m => m.Value == Articles).Select(m => m.Key).Order(StringComparer.Ordinal).FirstOrDefault()
          ?? ByModel.OrderByDescending(m => m.Value).ThenBy(m => m.Key == configured ? 0 : 1).ThenBy(m => m.Key, StringComparer.Ordinal)
              .Select(m => m.Key).FirstOrDefault()
          ?? configured;
}

/// <summary>The knowledge retrieval searches for one organization right now, and the model its vectors come from.</summary>
public sealed record ServingKnowledge(string Model, KnowledgeMatrix Matrix, KnowledgeCoverage Coverage);

/// <summary>A question embedded with the model of the matrix it is to be compared with.</summary>
/// <param name="Fallback">Why the serving model was not used (its generator failed), or null.</param>
public sealed record QueryEmbedding(string Model, ReadOnlyMemory<float> Vector, KnowledgeMatrix Matrix, string? Fallback);

/// <summary>
/// Exact vector search over one organization's knowledge plus the global knowledge, in memory.
/// Each organization's matrix is loaded on first use (trusted path: the session's organization is
/// already known) and dropped when that organization's or the global knowledge changes. Nothing of
/// another organization is ever loaded into it, so nothing of theirs can be retrieved.
/// knowledge_chunks may hold passages of several embedding models while the model changes: the index
/// serves one model per organization (<see cref="KnowledgeCoverage.Serving"/>), and a question must be
/// embedded with that model (<see cref="EmbedQuestionAsync"/>).
/// </summary>
/// <remarks>Invalidation is per node; several nodes need a change notification (LISTEN/NOTIFY) to share it.</remarks>
public sealed class VectorIndex(SystemDb systemDb, EmbeddingModels models, ILogger<VectorIndex> logger)
{
    /// <summary>After a previous model failed to embed a question, how long the configured model answers without asking it again.</summary>
    public static readonly TimeSpan FailedModelPause = TimeSpan.FromSeconds(30);

    private const string AnyModel = "*";
    private const string AllModels = "";

    private readonly ConcurrentDictionary<Guid, Cached<KnowledgeCoverage>> _coverage = new();
    private readonly ConcurrentDictionary<(Guid, string), Cached<KnowledgeMatrix>> _matrices = new();
    // Change counters per (organization or Guid.Empty for global, model or AllModels or AnyModel).
    private readonly ConcurrentDictionary<(Guid, string), long> _versions = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _failedUntil = new();

    /// <summary>Knowledge of <paramref name="organizationId"/> changed; null means global knowledge, which every organization searches.</summary>
    /// <param name="model">The model whose passages changed; null: any (titles, activity, deletions).</param>
    public void Invalidate(Guid? organizationId, string? model = null)
    {
        var owner = organizationId ?? Guid.Empty;
        _versions.AddOrUpdate((owner, model ?? AllModels), 1, (_, v) => v + 1);
        _versions.AddOrUpdate((owner, AnyModel), 1, (_, v) => v + 1);
    }

    public async Task<Retrieval> SearchAsync(Guid organizationId, ReadOnlyMemory<float> query, int top, CancellationToken ct)
    {
        var matrix = await GetAsync(organizationId, ct);
        return matrix.Search(query.Span, top);
    }

    /// <summary>The organization's current matrix, built once however many questions ask for it at the same time.</summary>
    public async Task<KnowledgeMatrix> GetAsync(Guid organizationId, CancellationToken ct) =>
        (await GetServingAsync(organizationId, ct)).Matrix;

    /// <summary>Which model the organization's retrieval serves now, with its matrix.</summary>
    public async Task<ServingKnowledge> GetServingAsync(Guid organizationId, CancellationToken ct)
    {
        var coverage = await GetCoverageAsync(organizationId, ct);
        var model = coverage.Serving(models.Configured);
        if (model != models.Configured && _failedUntil.TryGetValue(model, out var until) && until > DateTimeOffset.UtcNow)
        {
            model = models.Configured;
        }
        return new ServingKnowledge(model, await GetAsync(organizationId, model, ct), coverage);
    }

    /// <summary>The matrix of one model's passages of the organization (and the global ones).</summary>
    public Task<KnowledgeMatrix> GetAsync(Guid organizationId, string model, CancellationToken ct)
    {
        var version = V(organizationId, AllModels) + V(organizationId, model) + V(Guid.Empty, AllModels) + V(Guid.Empty, model);
        return Cache(_matrices, (organizationId, model), version, () => LoadAsync(organizationId, model), ct);
    }

    public Task<KnowledgeCoverage> GetCoverageAsync(Guid organizationId, CancellationToken ct) =>
        Cache(_coverage, organizationId, V(organizationId, AnyModel) + V(Guid.Empty, AnyModel), () => LoadCoverageAsync(organizationId), ct);

    /// <summary>
    /// Embeds the question with the model the organization's retrieval serves. When that is a previous model that
    /// cannot embed any more (e.g. its endpoint fails), the configured model's matrix answers instead, however much
    /// of the knowledge it covers yet, and the previous model is left alone for <see cref="FailedModelPause"/>.
    /// </summary>
    public async Task<QueryEmbedding> EmbedQuestionAsync(Guid organizationId, string question, CancellationToken ct)
    {
        var serving = await GetServingAsync(organizationId, ct);
        if (serving.Model == models.Configured)
        {
            return new QueryEmbedding(serving.Model, await models.ConfiguredGenerator.GenerateVectorAsync(question, cancellationToken: ct), serving.Matrix, null);
        }
        try
        {
            var generator = models.Get(serving.Model)
                ?? throw new InvalidOperationException($"No generator can embed with '{serving.Model}' (set Ai:Embeddings:Endpoint to reach it).");
            return new QueryEmbedding(serving.Model, await generator.GenerateVectorAsync(question, cancellationToken: ct), serving.Matrix, null);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            _failedUntil[serving.Model] = DateTimeOffset.UtcNow + FailedModelPause;
            logger.LogWarning(e, "The previous embedding model {Previous} could not embed a question of {Organization}; answering from {Configured}, which covers {Covered} of {Articles} articles so far",
                serving.Model, organizationId, models.Configured, serving.Coverage.Of(models.Configured), serving.Coverage.Articles);
            var matrix = await GetAsync(organizationId, models.Configured, ct);
            var vector = await models.ConfiguredGenerator.GenerateVectorAsync(question, cancellationToken: ct);
            return new QueryEmbedding(models.Configured, vector, matrix, $"previous_model_failed:{serving.Model}");
        }
    }

    private long V(Guid owner, string model) => _versions.GetValueOrDefault((owner, model));

    private static Task<T> Cache<TKey, T>(ConcurrentDictionary<TKey, Cached<T>> cache, TKey key, long version, Func<Task<T>> load, CancellationToken ct)
        where TKey : notnull
    {
        var entry = cache.AddOrUpdate(key,
            _ => new Cached<T>(version, new Lazy<Task<T>>(load)),
            (_, existing) => existing.Version == version && !existing.Value.Value.IsFaulted
                ? existing
                : new Cached<T>(version, new Lazy<Task<T>>(load)));
        // The load is shared, so one caller giving up must not cancel it for the others.
        return entry.Value.Value.WaitAsync(ct);
    }

    private async Task<KnowledgeCoverage> LoadCoverageAsync(Guid organizationId)
    {
        await using var db = systemDb.CreateContext();
        var pairs = await Searchable(db, organizationId)
            .Select(c => new { c.ArticleId, c.EmbeddingModel })
            .Distinct()
            .ToListAsync();
        var coverage = new KnowledgeCoverage(pairs.Select(p => p.ArticleId).Distinct().Count(),
            pairs.GroupBy(p => p.EmbeddingModel).ToDictionary(g => g.Key, g => g.Count()));
        // A retired model's matrix is never asked for again: let it go.
        foreach (var key in _matrices.Keys.Where(k => k.Item1 == organizationId && k.Item2 != models.Configured && !coverage.ByModel.ContainsKey(k.Item2)))
        {
            _matrices.TryRemove(key, out _);
        }
        return coverage;
    }

    private async Task<KnowledgeMatrix> LoadAsync(Guid organizationId, string model)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var db = systemDb.CreateContext();
        var rows = await Searchable(db, organizationId)
            .Where(c => c.EmbeddingModel == model)
            .OrderBy(c => c.ArticleId).ThenBy(c => c.Ordinal)
            .Select(c => new { c.ArticleId, c.Article!.Title, c.Text, c.Embedding, c.ContentHash })
            .ToListAsync();
        var matrix = await Task.Run(() => KnowledgeMatrix.Build(rows.Select(r => (r.ArticleId, r.Title, r.Text, r.Embedding, r.ContentHash)).ToList()));
        logger.LogInformation("Loaded knowledge of {Organization} ({Model}): {Passages} passages of {Articles} articles, answer threshold {Threshold:F3} in {Ms:F0} ms",
            organizationId, model, matrix.Count, matrix.ArticleCount, matrix.Calibration.Threshold, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return matrix;
    }

    // The article's organization must match too: a chunk filed under the wrong organization is never searched.
    private static IQueryable<Switchboard.Features.Knowledge.KnowledgeChunk> Searchable(AppDbContext db, Guid organizationId) =>
        db.KnowledgeChunks.AsNoTracking()
            .Where(c => (c.OrganizationId == organizationId || c.OrganizationId == null)
                        && c.Article!.OrganizationId == c.OrganizationId
                        && c.Article.IsActive == true);

    private sealed record Cached<T>(long Version, Lazy<Task<T>> Value);

}

/// <summary>Passages' embeddings in one contiguous row-major array, for SIMD dot products.</summary>
public sealed class KnowledgeMatrix
{
    private readonly float[] _vectors;
    private readonly int[] _rowArticle;
    private readonly string[] _rowText;
    private readonly Guid[] _articleIds;
    private readonly string[] _titles;
    private readonly int[] _partitions; // first row of each scanning thread's share, then Count

    /// <summary>
    /// Rows one thread scans before a second one helps: below this, waking another core costs more than it saves
    /// (at 384 dimensions this is 24 MB of embeddings, about 2 ms of memory bandwidth).
    /// </summary>
    public const int RowsPerScanThread = 16_384;

    private readonly Dictionary<string, int> _documentFrequency;
    private volatile ArticleClassifier? _classifier;

    private KnowledgeMatrix(float[] vectors, int dimensions, int[] rowArticle, string[] rowText, Guid[] articleIds, string[] titles,
        KnowledgeCalibration calibration, Dictionary<string, int> documentFrequency)
    {
        _documentFrequency = documentFrequency;
        // The classifier learns in the background: until it is ready, retrieval ranks without it.
        ClassifierReady = ArticleClassifier.Worthwhile(rowArticle.Length, articleIds.Length)
            ? Task.Run(() => _classifier = ArticleClassifier.Train(vectors, dimensions, rowArticle, articleIds.Length, CancellationToken.None))
            : Task.CompletedTask;
        _vectors = vectors;
        Dimensions = dimensions;
        _rowArticle = rowArticle;
        _rowText = rowText;
        _articleIds = articleIds;
        _titles = titles;
        Calibration = calibration;
        _partitions = Partition(rowArticle, Math.Clamp(rowArticle.Length / RowsPerScanThread, 1, Environment.ProcessorCount));
    }

    public int Dimensions { get; }

    /// <summary>How many threads one search scans on.</summary>
    public int ScanThreads => _partitions.Length - 1;
    public int Count => _rowArticle.Length;
    public int ArticleCount => _articleIds.Length;
    public KnowledgeCalibration Calibration { get; }

    /// <summary>Rows must come grouped by article.</summary>
    public static KnowledgeMatrix Build(IReadOnlyList<(Guid ArticleId, string Title, string Text, float[] Embedding, string ContentHash)> rows)
    {
        var dimensions = rows.Count > 0 ? rows[0].Embedding.Length : 0;
        // A model change leaves vectors of another size until re-indexed; they cannot be compared.
        var usable = rows.Where(r => r.Embedding.Length == dimensions).ToList();
        var vectors = new float[usable.Count * dimensions];
        var rowArticle = new int[usable.Count];
        var rowText = new string[usable.Count];
        var rowHash = new string[usable.Count];
        var ids = new List<Guid>();
        var titles = new List<string>();
        for (var i = 0; i < usable.Count; i++)
        {
            var row = usable[i];
            if (ids.Count == 0 || ids[^1] != row.ArticleId)
            {
                ids.Add(row.ArticleId);
                titles.Add(row.Title);
            }
            row.Embedding.CopyTo(vectors, i * dimensions);
            rowArticle[i] = ids.Count - 1;
            rowText[i] = row.Text;
            rowHash[i] = row.ContentHash;
        }
        var calibration = KnowledgeCalibration.Compute(vectors, dimensions, rowArticle, ids.Count, rowHash);
        var frequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in rowText)
        {
            foreach (var word in FullTextSearch.Words(text))
            {
                frequency[word] = frequency.GetValueOrDefault(word) + 1;
            }
        }
        return new KnowledgeMatrix(vectors, dimensions, rowArticle, rowText, [.. ids], [.. titles], calibration, frequency);
    }

    /// <summary>The article classifier once trained (<see cref="ClassifierReady"/>); null before, or for knowledge too thin to learn from.</summary>
    public ArticleClassifier? Classifier => _classifier;

    /// <summary>Completes when the classifier has been trained (at once when there is none to train).</summary>
    public Task ClassifierReady { get; }

    /// <summary>How many of the passages contain the word (lower case, as <see cref="FullTextSearch.Terms"/> splits).</summary>
    public int DocumentFrequency(string word) => _documentFrequency.GetValueOrDefault(word);

    public Guid ArticleId(int article) => _articleIds[article];
    public string Title(int article) => _titles[article];
    public string PassageText(int row) => _rowText[row];

    /// <summary>
    /// Every article's two best passage scores and its best passage (exact search: every passage is
    /// scored). The hybrid retriever ranks by the mean of the two best, which ranks better than the best
    /// alone on banking77 (docs/eval.md). An article with one passage has <c>second == best</c>.
    /// </summary>
    public (float[] Best, float[] Second, int[] BestRow) ScoreArticles(ReadOnlySpan<float> query)
    {
        var best = new float[ArticleCount];
        var second = new float[ArticleCount];
        var bestRow = new int[ArticleCount];
        if (Count == 0 || query.Length != Dimensions)
        {
            Array.Fill(best, float.NegativeInfinity);
            Array.Fill(second, float.NegativeInfinity);
            return (best, second, bestRow);
        }
        if (ScanThreads == 1)
        {
            Scan(query, 0, Count, best, second, bestRow);
        }
        else
        {
            // Each thread owns whole articles (rows are grouped by article), so no two write the same slot.
            var shared = query.ToArray();
            Parallel.For(0, ScanThreads, t => Scan(shared, _partitions[t], _partitions[t + 1], best, second, bestRow));
        }
        return (best, second, bestRow);
    }

    /// <summary>The best articles by their best passage, with the calibrated decision.</summary>
    public Retrieval Search(ReadOnlySpan<float> query, int top)
    {
        if (Count == 0 || query.Length != Dimensions)
        {
            return new Retrieval([], 0, 0, false);
        }
        var (best, _, bestRow) = ScoreArticles(query);
        var order = TopArticles(best, Math.Max(top, 2));
        var evidence = KnowledgeCalibration.Evidence(best[order[0]], order.Length > 1 ? best[order[1]] : null);
        var articles = order.Take(top)
            .Select(a => new RetrievedArticle(_articleIds[a], _titles[a], best[a], _rowText[bestRow[a]]))
            .ToList();
        return new Retrieval(articles, evidence, Calibration.Confidence(evidence), Calibration.Answers(evidence));
    }

    /// <summary>Scores rows [from, to) against the query, folding each article's rows (contiguous) as it goes.</summary>
    private void Scan(ReadOnlySpan<float> query, int from, int to, float[] best, float[] second, int[] bestRow)
    {
        var dimensions = Dimensions;
        var vectors = _vectors.AsSpan(from * dimensions, (to - from) * dimensions);
        var article = -1;
        float first = float.NegativeInfinity, runnerUp = float.NegativeInfinity;
        var firstRow = 0;
        for (var r = from; r < to; r++, vectors = vectors[dimensions..])
        {
            var a = _rowArticle[r];
            if (a != article)
            {
                if (article >= 0)
                {
                    Store(article, first, runnerUp, firstRow);
                }
                article = a;
                first = runnerUp = float.NegativeInfinity;
            }
            var score = TensorPrimitives.Dot(vectors[..dimensions], query);
            if (score > first)
            {
                runnerUp = first;
                first = score;
                firstRow = r;
            }
            else if (score > runnerUp)
            {
                runnerUp = score;
            }
        }
        if (article >= 0)
        {
            Store(article, first, runnerUp, firstRow);
        }

        void Store(int a, float top, float next, int row)
        {
            best[a] = top;
            second[a] = float.IsNegativeInfinity(next) ? top : next;
            bestRow[a] = row;
        }
    }

    /// <summary>The <paramref name="count"/> best articles, best first: one pass, no sort of the whole set.</summary>
    private static int[] TopArticles(float[] best, int count)
    {
        count = Math.Min(count, best.Length);
        var top = new int[count];
        var filled = 0;
        for (var a = 0; a < best.Length; a++)
        {
            var score = best[a];
            if (filled == count && score <= best[top[count - 1]]) continue;
            var i = filled < count ? filled++ : count - 1;
            while (i > 0 && best[top[i - 1]] < score)
            {
                top[i] = top[i - 1];
                i--;
            }
            top[i] = a;
        }
        return top;
    }

    // Split points at article boundaries, as close to equal shares of rows as the articles allow.
    private static int[] Partition(int[] rowArticle, int threads)
    {
        var bounds = new List<int> { 0 };
        for (var t = 1; t < threads; t++)
        {
            var split = Math.Max(bounds[^1], (int)((long)rowArticle.Length * t / threads));
            while (split > 0 && split < rowArticle.Length && rowArticle[split] == rowArticle[split - 1]) split++;
            if (split > bounds[^1] && split < rowArticle.Length) bounds.Add(split);
        }
        bounds.Add(rowArticle.Length);
        return [.. bounds];
    }
}
