using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Ai;
using Switchboard.Features.Escalation;

namespace Switchboard.Features.Conversations;

/// <summary>
/// The AI's turn in a conversation: answers one customer message through the
/// <see cref="ConversationPipeline"/>, streams it on the event bus and stores it. The widget path
/// calls it after storing the customer's message; <c>eval</c> calls it the same way.
/// </summary>
public sealed class ConversationService(SystemDb systemDb, ConversationPipeline pipeline, IEventBus events, EscalationEngine escalation,
    ILogger<ConversationService> logger)
{
    public const string AiTyping = "ai";
    private const int HistoryTurns = 10;

    /// <summary>
    /// Replies to the customer message <paramref name="userMessageSeq"/> of the session, after the escalation
    /// rules had their say (a rule that fires escalates instead of answering). Silent when a person has the
    /// conversation (escalated) or it is over (resolved). Idempotent: a second call for
    /// the same message, even concurrently or on another node, stores nothing more.
    /// </summary>
    /// <param name="answer">False: run the escalation rules only (the AI is switched off with Ai:AutoReply=false).</param>
    /// <returns>The AI message stored now, or null when nothing was stored.</returns>
    public async Task<MessageResponse?> ReplyAsync(Guid sessionId, long userMessageSeq, CancellationToken ct, bool answer = true)
    {
        await using var db = systemDb.CreateContext();
        var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId)
            .Select(s => new { s.OrganizationId, s.Status }).SingleOrDefaultAsync(ct);
        if (session is null || !IsAiTurn(session.Status))
        {
            return null;
        }
        // The reply's idempotency key: the unique (session, client_message_id) index lets only one reply in.
        var replyKey = ReplyKey(userMessageSeq);
        if (await db.Messages.AnyAsync(m => m.SessionId == sessionId && m.ClientMessageId == replyKey, ct))
        {
            return null;
        }
        var question = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId && m.Seq == userMessageSeq && m.MessageType == MessageTypes.User)
            .Select(m => m.Content).SingleOrDefaultAsync(ct);
        if (question is null)
        {
            logger.LogWarning("Session {Session} has no customer message {Seq} to answer", sessionId, userMessageSeq);
            return null;
        }
        var org = session.OrganizationId;
        // The rules see the AI's confidence before it answers: a rule that fires hands over instead of a weak answer.
        var retrieval = answer ? await pipeline.RetrieveAsync(org, question, ct) : null;
        if (await escalation.EscalateIfRuleFiresAsync(sessionId, userMessageSeq, question, retrieval?.Confidence, ct) || retrieval is null)
        {
            return null;
        }
        var history = await HistoryAsync(db, sessionId, userMessageSeq, ct);

        events.Publish(new TypingChanged(org, sessionId, AiTyping, null, true));
        PipelineResult result;
        try
        {
            result = await pipeline.AnswerAsync(retrieval, question, history, (delta, reset) =>
            {
                events.Publish(new AiTokenStreamed(org, sessionId, userMessageSeq, delta, reset));
                return ValueTask.CompletedTask;
            }, ct);
        }
        finally
        {
            events.Publish(new TypingChanged(org, sessionId, AiTyping, null, false));
        }

        // A person may have taken over while the AI was thinking: then the AI stays silent.
        var status = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.Status).SingleAsync(ct);
        if (!IsAiTurn(status))
        {
            return null;
        }
        var metadata = result.Metadata with { ReplyTo = userMessageSeq };
        var posted = await MessageLog.AppendAsync(db, sessionId, MessageTypes.Ai, result.Text, replyKey, null, ct, metadata.ToJson());
        if (posted.Duplicate)
        {
            return null;
        }
        var cited = metadata.Sources.Select(s => s.ArticleId).ToList();
        if (cited.Count > 0)
        {
            // ExecuteUpdate leaves updated_at alone: being cited is not an edit of the article.
            await db.Knowledge.Where(a => cited.Contains(a.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.UsageCount, a => (a.UsageCount ?? 0) + 1), ct);
        }
        var message = (await MessageLog.ListAsync(db, sessionId, posted.Seq - 1, ct)).First(m => m.Id == posted.MessageId);
        events.Publish(new MessageCreated(org, sessionId, message));
        return message;
    }

    /// <summary>client_message_id of the AI's reply to a customer message.</summary>
    public static string ReplyKey(long userMessageSeq) => $"ai-reply:{userMessageSeq}";

    private static bool IsAiTurn(string? status) => status is not (SessionStatus.Escalated or SessionStatus.Resolved);

    private static async Task<List<ConversationTurn>> HistoryAsync(AppDbContext db, Guid sessionId, long beforeSeq, CancellationToken ct)
    {
        var recent = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId && m.Seq < beforeSeq
                        && (m.MessageType == MessageTypes.User || m.MessageType == MessageTypes.Ai || m.MessageType == MessageTypes.Agent))
            .OrderByDescending(m => m.Seq).Take(HistoryTurns)
            .Select(m => new { m.MessageType, m.Content })
            .ToListAsync(ct);
        recent.Reverse();
        return [.. recent.Select(m => new ConversationTurn(m.MessageType == MessageTypes.User ? "user" : "assistant", m.Content))];
    }
}
