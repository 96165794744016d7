using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;

namespace Switchboard.Features.Conversations;

/// <summary>Configuration key <c>Ai:AutoReply</c>: whether the AI answers customers at all.</summary>
public sealed class AutoReplyOptions
{
    /// <summary>True (default): the AI answers every customer message until a person takes over. False: every conversation waits for a person.</summary>
    public bool AutoReply { get; set; } = true;
}

/// <summary>A customer message waiting for the AI's reply.</summary>
public sealed record ReplyJob(Guid SessionId, long UserMessageSeq);

/// <summary>
/// Customer messages are acknowledged as soon as they are stored; the AI answers them here, in the
/// background, streaming on the event bus. A job lost with a crashed process is recovered at start-up
/// (<see cref="ReplyWorker"/> answers stored customer messages that have no reply yet).
/// </summary>
public sealed class ReplyQueue
{
    private readonly Channel<ReplyJob> _jobs = Channel.CreateBounded<ReplyJob>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ValueTask EnqueueAsync(ReplyJob job, CancellationToken ct) => _jobs.Writer.WriteAsync(job, ct);

    public ChannelReader<ReplyJob> Reader => _jobs.Reader;
}

/// <summary>
/// What follows a stored customer message, whichever API stored it: the message goes to the open event
/// streams of its session, and to the reply worker (escalation rules, then the AI's reply).
/// </summary>
public sealed class CustomerMessages(IEventBus events, ReplyQueue replies)
{
    public async Task AcceptedAsync(AppDbContext db, Guid organizationId, Guid sessionId, long seq, CancellationToken ct)
    {
        await MessageLog.PublishAsync(db, events, organizationId, sessionId, seq, ct);
        // Queued even when the AI does not answer (Ai:AutoReply=false): the escalation rules run on every customer message.
        await replies.EnqueueAsync(new ReplyJob(sessionId, seq), ct);
    }
}

/// <summary>Runs the AI's replies, a few at a time, each in its own DI scope.</summary>
public sealed class ReplyWorker(ReplyQueue queue, IServiceScopeFactory scopes, SystemDb systemDb, IOptions<AutoReplyOptions> options,
    ILogger<ReplyWorker> logger) : BackgroundService
{
    private const int Parallelism = 4;
    private static readonly TimeSpan RecoverWithin = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Messages stored from now on are queued by the request that stored them; recovery is for the older ones.
        var startedAt = DateTimeOffset.UtcNow;
        if (options.Value.AutoReply)
        {
            await RecoverAsync(startedAt, stoppingToken);
        }
        await Parallel.ForEachAsync(queue.Reader.ReadAllAsync(stoppingToken),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken },
            async (job, ct) =>
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<ConversationService>().ReplyAsync(job.SessionId, job.UserMessageSeq, ct, options.Value.AutoReply);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The customer's message is stored either way; agents see it in the organization's sessions.
                    logger.LogError(e, "The AI could not answer message {Seq} of session {Session}", job.UserMessageSeq, job.SessionId);
                }
            });
    }

    // Messages acknowledged just before a crash or restart still get their answer.
    private async Task RecoverAsync(DateTimeOffset startedAt, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var since = startedAt - RecoverWithin;
        var waiting = await db.Messages.AsNoTracking()
            .Where(m => m.MessageType == MessageTypes.User && m.CreatedAt >= since && m.CreatedAt < startedAt
                        && m.Session!.Status == SessionStatus.Active
                        && !db.Messages.Any(r => r.SessionId == m.SessionId && r.ClientMessageId == "ai-reply:" + m.Seq))
            .Select(m => new ReplyJob(m.SessionId, m.Seq))
            .ToListAsync(ct);
        foreach (var job in waiting)
        {
            await queue.EnqueueAsync(job, ct);
        }
        if (waiting.Count > 0)
        {
            logger.LogInformation("Answering {Count} customer messages that were waiting when the server stopped", waiting.Count);
        }
    }
}
