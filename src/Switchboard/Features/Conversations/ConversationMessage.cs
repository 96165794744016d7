namespace Switchboard.Features.Conversations;

/// <summary>One message of a session (seed table chatbot_conversations).</summary>
public sealed class ConversationMessage
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid SessionId { get; set; }
    public required string MessageType { get; set; }
    public required string Content { get; set; }
    public string? AiMetadata { get; set; } = "{}";
    public Guid? AgentId { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>Position in the session, from 1; the widget resumes after a sequence number.</summary>
    public long Seq { get; set; }

    /// <summary>The sender's idempotency key: a retry with the same key returns the same message.</summary>
    public string? ClientMessageId { get; set; }

    public ChatbotSession? Session { get; set; }
}

public static class MessageTypes
{
    public const string User = "user";
    public const string Ai = "ai";
    public const string Agent = "agent";
    public const string System = "system";
    public static readonly string[] All = [User, Ai, Agent, System];
}
