using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Ai;

namespace Switchboard.Features.Knowledge.Import;

/// <summary>What a source yielded: its articles, and the items that could not be read (the job goes on without them).</summary>
public sealed record ImportSource(List<ImportedArticle> Articles, int Failed, List<string> Warnings);

/// <summary>What writing an import did to the knowledge base.</summary>
public sealed record ImportWrite(int Created, int Updated, int Unchanged, List<Guid> Written);

/// <summary>
/// Writes imported articles into one organization's knowledge base and indexes them, recording progress in
/// the job. Identity is (organization, source_uri): an unchanged source (same source_hash) is not written and
/// not re-embedded; a changed one is updated in place and re-indexed. One import is one transaction: it is
/// written whole or not at all. Runs on the trusted path; callers have authorized the organization.
/// </summary>
public sealed class KnowledgeImporter(SystemDb systemDb, KnowledgeIndexer indexer, KnowledgeIndexQueue indexQueue, VectorIndex index, ILogger<KnowledgeImporter> logger)
{
    public const int MaxWarnings = 50;

    public async Task<ImportWrite> WriteAsync(Guid organizationId, IReadOnlyList<ImportedArticle> articles, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var existing = new Dictionary<string, KnowledgeArticle>(StringComparer.Ordinal);
        foreach (var round in articles.Select(a => a.SourceUri).Distinct().Chunk(500))
        {
            foreach (var article in await db.Knowledge.Where(k => k.OrganizationId == organizationId && k.SourceUri != null && round.Contains(k.SourceUri)).ToListAsync(ct))
            {
                existing[article.SourceUri!] = article;
            }
        }

        var (created, updated, unchanged) = (0, 0, 0);
        var written = new List<KnowledgeArticle>();
        foreach (var imported in articles)
        {
            var hash = imported.Hash();
            if (existing.TryGetValue(imported.SourceUri, out var article))
            {
                if (article.SourceHash == hash)
                {
                    unchanged++;
                    continue;
                }
                article.Title = imported.Title;
                article.Content = imported.Content;
                article.Category = imported.Category;
                article.Tags = [.. imported.Tags];
                article.SourceHash = hash;
                updated++;
            }
            else
            {
                article = new KnowledgeArticle
                {
                    OrganizationId = organizationId,
                    Title = imported.Title,
                    Content = imported.Content,
                    Category = imported.Category,
                    Tags = [.. imported.Tags],
                    SourceUri = imported.SourceUri,
                    SourceHash = hash,
                };
                db.Knowledge.Add(article);
                existing[imported.SourceUri] = article;
                created++;
            }
            written.Add(article);
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        if (written.Count > 0) index.Invalidate(organizationId); // titles and categories are in the matrix too
        return new ImportWrite(created, updated, unchanged, [.. written.Select(a => a.Id)]);
    }

    /// <summary>
    /// Runs a job: reads the source, writes the articles, embeds them. The job row shows each step; <paramref name="observer"/>
    /// sees every change too (the CLI's progress bar). Never throws for a bad source: the job fails with its reason.
    /// </summary>
    public async Task<KnowledgeImportJob> RunAsync(Guid jobId, Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> read,
        Action<KnowledgeImportJob>? observer, CancellationToken ct)
    {
        var job = await UpdateAsync(jobId, j => j.Status = ImportStatus.Running, observer, ct);
        var wrote = false;
        try
        {
            var source = await read(new Progress(this, jobId, observer, (j, p) => j.Found = p.Item1), ct);
            job = await UpdateAsync(jobId, j =>
            {
                j.Found = source.Articles.Count + source.Failed;
                j.Failed = source.Failed;
                j.Warnings = Warnings(source.Warnings);
            }, observer, ct);

            var write = await WriteAsync(job.OrganizationId, source.Articles, ct);
            wrote = true;
            job = await UpdateAsync(jobId, j => (j.Created, j.Updated, j.Unchanged) = (write.Created, write.Updated, write.Unchanged), observer, ct);

            // Unchanged articles are not even planned: re-importing the same source embeds nothing.
            await indexer.IndexAsync(write.Written, new Progress(this, jobId, observer, (j, p) => (j.PassagesEmbedded, j.PassagesTotal) = p), ct);
            return await UpdateAsync(jobId, j =>
            {
                j.Status = ImportStatus.Succeeded;
                j.FinishedAt = DateTimeOffset.UtcNow;
            }, observer, CancellationToken.None);
        }
        catch (Exception e) when (e is ImportException || !ct.IsCancellationRequested)
        {
            if (e is not ImportException) logger.LogError(e, "Import job {Job} failed", jobId);
            if (wrote)
            {
                // Written but not embedded: the background indexer picks the articles up (now or at the next start).
                foreach (var id in await WrittenIdsAsync(jobId, ct)) indexQueue.Enqueue(id);
            }
            var message = e is ImportException ? e.Message
                : wrote ? $"The articles were written, but embedding them failed ({e.Message}); they are indexed in the background."
                : $"The import failed and wrote nothing: {e.Message}";
            return await UpdateAsync(jobId, j =>
            {
                j.Status = ImportStatus.Failed;
                j.Error = message;
                j.FinishedAt = DateTimeOffset.UtcNow;
            }, observer, CancellationToken.None);
        }
    }

    private async Task<List<Guid>> WrittenIdsAsync(Guid jobId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var job = await db.KnowledgeImportJobs.AsNoTracking().SingleAsync(j => j.Id == jobId, CancellationToken.None);
        // Everything of the organization that has no embedding yet: the articles this job wrote are among them.
        return await db.Knowledge.AsNoTracking().Where(k => k.OrganizationId == job.OrganizationId && k.SourceUri != null && k.Embeddings == null)
            .Select(k => k.Id).ToListAsync(CancellationToken.None);
    }

    private static string? Warnings(List<string> warnings) => warnings.Count == 0 ? null
        : string.Join('\n', warnings.Take(MaxWarnings)) + (warnings.Count > MaxWarnings ? $"\n… and {warnings.Count - MaxWarnings} more." : "");

    private async Task<KnowledgeImportJob> UpdateAsync(Guid jobId, Action<KnowledgeImportJob> change, Action<KnowledgeImportJob>? observer, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var job = await db.KnowledgeImportJobs.SingleAsync(j => j.Id == jobId, ct);
        change(job);
        await db.SaveChangesAsync(ct);
        observer?.Invoke(job);
        return job;
    }

    /// <summary>Progress reports written to the job row as they come (they come per page and per embedding batch, not per passage).</summary>
    private sealed class Progress(KnowledgeImporter importer, Guid jobId, Action<KnowledgeImportJob>? observer, Action<KnowledgeImportJob, (int, int)> apply)
        : IProgress<(int, int)>
    {
        public void Report((int, int) value) =>
            importer.UpdateAsync(jobId, j => apply(j, value), observer, CancellationToken.None).GetAwaiter().GetResult();
    }
}

/// <summary>Import jobs waiting to run; the API enqueues and returns 202 at once.</summary>
public sealed class KnowledgeImportQueue
{
    private readonly Channel<(Guid JobId, Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> Read)> _channel =
        Channel.CreateUnbounded<(Guid, Func<IProgress<(int, int)>, CancellationToken, Task<ImportSource>>)>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(Guid jobId, Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> read) =>
        _channel.Writer.TryWrite((jobId, read));

    public ChannelReader<(Guid JobId, Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> Read)> Reader => _channel.Reader;
}

/// <summary>
/// Runs import jobs one at a time in the background. Jobs live in memory until they run, so a job that was queued
/// or running when the server stopped is marked failed at start-up: import it again.
/// </summary>
public sealed class KnowledgeImportService(KnowledgeImportQueue queue, KnowledgeImporter importer, SystemDb systemDb, IHostApplicationLifetime lifetime,
    ILogger<KnowledgeImportService> logger) : BackgroundService
{
    private readonly DateTimeOffset _constructedAt = DateTimeOffset.UtcNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        try
        {
            await using var db = systemDb.CreateContext();
            var unfinished = await db.KnowledgeImportJobs
                .Where(j => j.Status == ImportStatus.Queued || j.Status == ImportStatus.Running)
                .ToListAsync(stoppingToken);
            // Jobs created since this service was built are in the channel; only older ones were lost.
            foreach (var job in unfinished.Where(j => j.CreatedAt < _constructedAt))
            {
                job.Status = ImportStatus.Failed;
                job.Error = "The server stopped before this import finished. Import the source again: unchanged articles are skipped.";
                job.FinishedAt = DateTimeOffset.UtcNow;
            }
            await db.SaveChangesAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogError(e, "Could not mark interrupted import jobs");
        }

        await foreach (var (jobId, read) in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await importer.RunAsync(jobId, read, null, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Import job {Job} failed", jobId);
            }
        }
    }
}
