using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Cli;
using Switchboard.Data;
using Switchboard.Features.Ai;

namespace Switchboard.Features.Knowledge;

/// <summary>How one test question went in a run.</summary>
public sealed record AnswerTestResult(Guid TestId, string Question, string Expect, Guid? ExpectedArticleId, bool Answered,
    Guid? TopArticleId, string? TopArticleTitle, List<Guid> Retrieved, double Confidence, bool Passed, long LatencyMs);

/// <summary>A question that passed in the previous completed run and fails in this one.</summary>
public sealed record AnswerTestRegression(Guid TestId, string Question, string Expect, Guid? ExpectedArticleId, Guid? TopArticleId);

public sealed class AnswerTestOptions
{
    /// <summary>Seconds after an organization's last knowledge change before its tests run (Knowledge:AnswerTests:DebounceSeconds).</summary>
    public double DebounceSeconds { get; set; } = 5;

    /// <summary>Run the tests after knowledge changes at all (Knowledge:AnswerTests:AutoRun); runs by API or console button are unaffected.</summary>
    public bool AutoRun { get; set; } = true;
}

/// <summary>Runs waiting to be executed, one at a time, by <see cref="AnswerTestService"/>.</summary>
public sealed class AnswerTestQueue
{
    private readonly Channel<Guid> _channel = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(Guid runId) => _channel.Writer.TryWrite(runId);

    public ChannelReader<Guid> Reader => _channel.Reader;
}

/// <summary>
/// Runs an organization's answer tests through the real pipeline (<see cref="ConversationPipeline.RunAsync"/>,
/// nothing stored as a conversation) and scores them with eval's own code (<see cref="EvalReport.From"/>).
/// Trusted path: the API has authorized the run.
/// </summary>
public sealed class AnswerTestRunner(SystemDb systemDb, ConversationPipeline pipeline, VectorIndex index, KnowledgeIndexer indexer, ILogger<AnswerTestRunner> logger)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task RunAsync(Guid runId, CancellationToken ct)
    {
        KnowledgeAnswerTestRun run;
        List<KnowledgeAnswerTest> tests;
        await using (var db = systemDb.CreateContext())
        {
            run = await db.AnswerTestRuns.SingleOrDefaultAsync(r => r.Id == runId, ct) ?? throw new InvalidOperationException($"Run {runId} does not exist.");
            if (run.Status != AnswerTestRunStatus.Queued) return;
            tests = await db.AnswerTests.AsNoTracking().Where(t => t.OrganizationId == run.OrganizationId).OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).ToListAsync(ct);
            run.Status = AnswerTestRunStatus.Running;
            run.StartedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync(ct);
        }

        try
        {
            await ScoreAsync(run, tests, ct);
            run.Status = AnswerTestRunStatus.Completed;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogError(e, "Answer test run {Run} failed", run.Id);
            run.Status = AnswerTestRunStatus.Failed;
            run.Error = e.Message;
        }
        run.FinishedAt = DateTimeOffset.UtcNow;
        await using (var db = systemDb.CreateContext())
        {
            db.AnswerTestRuns.Update(run);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        logger.LogInformation("Answer test run {Run} of {Organization}: {Status}, overall accuracy {Accuracy}, {Regressions} regressions",
            run.Id, run.OrganizationId, run.Status, run.OverallAccuracy, JsonSerializer.Deserialize<List<AnswerTestRegression>>(run.Regressions, Json)!.Count);
    }

    private async Task ScoreAsync(KnowledgeAnswerTestRun run, List<KnowledgeAnswerTest> tests, CancellationToken ct)
    {
        var orgId = run.OrganizationId;
        Dictionary<Guid, string> titles;
        await using (var db = systemDb.CreateContext())
        {
            // The run measures the knowledge as it is now: whatever the background indexer has not reached yet
            // is indexed here (idempotent: indexed articles are only compared, not re-embedded).
            var ids = await db.Knowledge.AsNoTracking().Where(a => a.OrganizationId == orgId || a.OrganizationId == null).Select(a => a.Id).ToListAsync(ct);
            await indexer.IndexAsync(ids, null, ct);
            titles = await db.Knowledge.AsNoTracking().Where(a => a.OrganizationId == orgId || a.OrganizationId == null).ToDictionaryAsync(a => a.Id, a => a.Title, ct);
        }
        var matrix = await index.GetAsync(orgId, ct);

        var outcomes = new List<EvalOutcome>();
        var replyMs = new List<double>();
        var results = new List<AnswerTestResult>();
        foreach (var (test, i) in tests.Select((t, i) => (t, i)))
        {
            var clock = Stopwatch.StartNew();
            var result = await pipeline.RunAsync(orgId, test.Question, [], null, ct);
            replyMs.Add(clock.Elapsed.TotalMilliseconds);
            var m = result.Metadata;
            // Exactly eval's reading of a reply (EvalCommand.AskAsync): answered means an answer citing an article.
            var answered = m.Decision == AiDecisions.Answer && m.Sources.Count > 0;
            var top = answered ? m.Sources[0].ArticleId : (Guid?)null;
            var outcome = new EvalOutcome(new EvalQuestion(test.Question, test.ExpectedArticleId?.ToString(), test.Expect, i + 1),
                answered, top?.ToString(), [.. m.Retrieved.Select(r => r.ArticleId.ToString())], false, m.LatencyMs);
            outcomes.Add(outcome);
            results.Add(new AnswerTestResult(test.Id, test.Question, test.Expect, test.ExpectedArticleId, answered, top,
                top is { } t ? titles.GetValueOrDefault(t) : null, [.. m.Retrieved.Select(r => r.ArticleId)], m.Confidence, outcome.Correct, m.LatencyMs));
        }

        run.Questions = tests.Count;
        if (tests.Count > 0)
        {
            var report = EvalReport.From(outcomes, replyMs, matrix);
            run.AnswerAccuracy = Round(report.AnswerAccuracy);
            run.RecallAt5 = Round(report.RecallAt5);
            run.Mrr = Round(report.Mrr);
            run.NoAnswerPrecision = Round(report.NoAnswerPrecision);
            run.NoAnswerRecall = Round(report.NoAnswerRecall);
            run.OverallAccuracy = Round(report.OverallAccuracy);
            run.LatencyP50Ms = report.LatencyP50Ms;
            run.LatencyP95Ms = report.LatencyP95Ms;
        }
        run.Results = JsonSerializer.Serialize(results, Json);
        run.Regressions = JsonSerializer.Serialize(await RegressionsAsync(run, results, ct), Json);
    }

    private async Task<List<AnswerTestRegression>> RegressionsAsync(KnowledgeAnswerTestRun run, List<AnswerTestResult> results, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var previous = await db.AnswerTestRuns.AsNoTracking()
            .Where(r => r.OrganizationId == run.OrganizationId && r.Status == AnswerTestRunStatus.Completed && r.CreatedAt < run.CreatedAt)
            .OrderByDescending(r => r.CreatedAt).Select(r => r.Results).FirstOrDefaultAsync(ct);
        if (previous is null) return [];
        var passedBefore = JsonSerializer.Deserialize<List<AnswerTestResult>>(previous, Json)!.Where(r => r.Passed).Select(r => r.TestId).ToHashSet();
        return [.. results.Where(r => !r.Passed && passedBefore.Contains(r.TestId))
            .Select(r => new AnswerTestRegression(r.TestId, r.Question, r.Expect, r.ExpectedArticleId, r.TopArticleId))];
    }

    // The figures eval writes to its JSON (EvalReport.ToJson rounds the same way).
    private static double? Round(double? v) => v is { } x ? Math.Round(x, 4) : null;
}

/// <summary>
/// Starts the answer tests after knowledge changes: an organization's tests run once its changes
/// have stopped for <see cref="AnswerTestOptions.DebounceSeconds"/> (a burst of edits is one run).
/// </summary>
public sealed class AnswerTestScheduler(SystemDb systemDb, AnswerTestQueue queue, IOptions<AnswerTestOptions> options,
    IHostApplicationLifetime lifetime, ILogger<AnswerTestScheduler> logger)
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _pending = new();

    /// <summary>An article of <paramref name="orgId"/> was created, changed or deleted. Global changes start no runs (docs/knowledge.md).</summary>
    public void KnowledgeChanged(Guid? orgId, Guid? articleId)
    {
        _ = articleId;
        if (orgId is not { } org || !options.Value.AutoRun) return;
        var next = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        _pending.AddOrUpdate(org, next, (_, previous) =>
        {
            previous.Cancel();
            return next;
        });
        _ = RunAfterQuietAsync(org, next);
    }

    private async Task RunAfterQuietAsync(Guid orgId, CancellationTokenSource cts)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(options.Value.DebounceSeconds), cts.Token);
            _pending.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(orgId, cts));
            await QueueAsync(orgId, AnswerTestTriggers.KnowledgeChange, cts.Token);
        }
        catch (OperationCanceledException)
        {
            // A later change restarted the wait, or the server is stopping.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not start the answer tests of {Organization} after a knowledge change", orgId);
        }
        finally
        {
            cts.Dispose();
        }
    }

    /// <summary>Queues a run of the organization's tests unless one is already waiting; null when it has no tests.</summary>
    public async Task<KnowledgeAnswerTestRun?> QueueAsync(Guid orgId, string trigger, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        if (!await db.AnswerTests.AnyAsync(t => t.OrganizationId == orgId, ct)) return null;
        var waiting = await db.AnswerTestRuns.AsNoTracking()
            .Where(r => r.OrganizationId == orgId && r.Status == AnswerTestRunStatus.Queued)
            .OrderBy(r => r.CreatedAt).FirstOrDefaultAsync(ct);
        if (waiting is not null) return waiting;
        var run = new KnowledgeAnswerTestRun { OrganizationId = orgId, Trigger = trigger };
        db.AnswerTestRuns.Add(run);
        await db.SaveChangesAsync(ct);
        queue.Enqueue(run.Id);
        return run;
    }
}

/// <summary>Executes queued answer-test runs one after another; runs a restart interrupted are marked failed, queued ones resumed.</summary>
public sealed class AnswerTestService(AnswerTestQueue queue, AnswerTestRunner runner, SystemDb systemDb, IHostApplicationLifetime lifetime,
    ILogger<AnswerTestService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        await using (var db = systemDb.CreateContext())
        {
            await db.AnswerTestRuns.Where(r => r.Status == AnswerTestRunStatus.Running).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, AnswerTestRunStatus.Failed)
                .SetProperty(r => r.Error, "The server stopped during the run; run the tests again."), stoppingToken);
            foreach (var id in await db.AnswerTestRuns.Where(r => r.Status == AnswerTestRunStatus.Queued).OrderBy(r => r.CreatedAt).Select(r => r.Id).ToListAsync(stoppingToken))
            {
                queue.Enqueue(id);
            }
        }

        await foreach (var runId in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await runner.RunAsync(runId, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Answer test run {Run} could not be executed", runId);
            }
        }
    }
}
