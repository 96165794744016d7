using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Tenancy;

namespace Switchboard.Features.Conversations;

public sealed record MessageResponse(Guid Id, long Seq, string MessageType, string Content, DateTimeOffset CreatedAt, JsonElement? AiMetadata, Guid? AgentId);

public sealed record PostedMessage(Guid MessageId, long Seq, bool Duplicate);

/// <summary>
/// Appends messages to a session: stored before anything else runs, numbered per session, and
/// idempotent on the sender's clientMessageId so a retry never creates a second message.
/// </summary>
public static class MessageLog
{
    public const int MaxContentLength = 4000;
    public const int MaxClientMessageIdLength = 100;

    /// <summary>Most messages one history read returns; readers page with <c>after</c>.</summary>
    public const int PageSize = 500;

    public static Dictionary<string, string[]> Validate(string? content, string? clientMessageId)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(content)) errors["content"] = ["The message is empty."];
        else if (content.Length > MaxContentLength) errors["content"] = [$"The message is {content.Length} characters long; the limit is {MaxContentLength}."];
        if (clientMessageId is { Length: > MaxClientMessageIdLength }) errors["clientMessageId"] = [$"clientMessageId is longer than {MaxClientMessageIdLength} characters."];
        return errors;
    }

    /// <param name="aiMetadata">ai_metadata JSON of an AI message, stored with it so that no reader sees the message without it.</param>
    public static async Task<PostedMessage> AppendAsync(AppDbContext db, Guid sessionId, string messageType, string content,
        string? clientMessageId, Guid? agentId, CancellationToken ct, string? aiMetadata = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (clientMessageId is not null
                && await db.Messages.AsNoTracking().Where(m => m.SessionId == sessionId && m.ClientMessageId == clientMessageId)
                    .Select(m => new { m.Id, m.Seq }).SingleOrDefaultAsync(ct) is { } existing)
            {
                return new PostedMessage(existing.Id, existing.Seq, Duplicate: true);
            }
            var seq = (await db.Messages.Where(m => m.SessionId == sessionId).MaxAsync(m => (long?)m.Seq, ct) ?? 0) + 1;
            var message = new ConversationMessage
            {
                SessionId = sessionId, MessageType = messageType, Content = content.Trim(), ClientMessageId = clientMessageId, AgentId = agentId, Seq = seq,
                AiMetadata = aiMetadata ?? "{}",
            };
            if (aiMetadata is not null) message.AiMetadata = aiMetadata;
            db.Messages.Add(message);
            try
            {
                await db.SaveChangesAsync(ct);
                return new PostedMessage(message.Id, seq, Duplicate: false);
            }
            catch (DbUpdateException) when (attempt < 5)
            {
                // Another request took this sequence number or this clientMessageId: look again.
                db.Entry(message).State = EntityState.Detached;
            }
        }
    }

    public static Task<List<MessageResponse>> ListAsync(AppDbContext db, Guid sessionId, long after, CancellationToken ct) =>
        db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId && m.Seq > after)
            .OrderBy(m => m.Seq)
            .Take(PageSize)
            .Select(m => new { m.Id, m.Seq, m.MessageType, m.Content, m.CreatedAt, m.AiMetadata, m.AgentId })
            .AsAsyncEnumerable()
            .Select(m => new MessageResponse(m.Id, m.Seq, m.MessageType, m.Content, m.CreatedAt, ParseMetadata(m.AiMetadata), m.AgentId))
            .ToListAsync(ct)
            .AsTask();

    private static JsonElement? ParseMetadata(string? json) =>
        string.IsNullOrEmpty(json) || json == "{}" ? null : JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>Sends the stored message <paramref name="seq"/> to the open event streams of its session.</summary>
    public static async Task PublishAsync(AppDbContext db, IEventBus events, Guid organizationId, Guid sessionId, long seq, CancellationToken ct)
    {
        var message = (await ListAsync(db, sessionId, seq - 1, ct)).FirstOrDefault(m => m.Seq == seq);
        if (message is not null) events.Publish(new MessageCreated(organizationId, sessionId, message));
    }
}
