using System.Threading.Channels;

namespace Switchboard.Features.Conversations;

/// <summary>Something that happened in a session. Messages are durable (they carry a seq); the rest are ephemeral.</summary>
public abstract record SessionEvent(Guid OrganizationId, Guid SessionId);

/// <summary>A stored message. <paramref name="Internal"/> messages (agents' notes) never reach a widget.</summary>
public sealed record MessageCreated(Guid OrganizationId, Guid SessionId, MessageResponse Message, bool Internal = false)
    : SessionEvent(OrganizationId, SessionId);

/// <summary>
/// A piece of an AI answer being streamed, before the AI message is stored. <paramref name="Reset"/>
/// voids the pieces streamed so far for that reply (the model failed mid-answer; the fallback follows).
/// </summary>
public sealed record AiTokenStreamed(Guid OrganizationId, Guid SessionId, long ReplyToSeq, string Delta, bool Reset = false)
    : SessionEvent(OrganizationId, SessionId);

public sealed record TypingChanged(Guid OrganizationId, Guid SessionId, string Who, string? Name, bool IsTyping)
    : SessionEvent(OrganizationId, SessionId);

public sealed record StatusChanged(Guid OrganizationId, Guid SessionId, string Status)
    : SessionEvent(OrganizationId, SessionId);

/// <summary>
/// An escalated session got an agent (<paramref name="AgentId"/>), or lost one and waits in the queue again
/// (<paramref name="AgentId"/> null). <paramref name="AgentName"/> is the display name customers see.
/// </summary>
public sealed record SessionAssigned(Guid OrganizationId, Guid SessionId, Guid? AgentId, string? AgentName)
    : SessionEvent(OrganizationId, SessionId);

/// <summary>
/// Where session events go. In-process on one node; a PostgreSQL LISTEN/NOTIFY implementation can
/// replace it for several nodes (events are hints: the database stays the source of truth).
/// </summary>
public interface IEventBus
{
    void Publish(SessionEvent sessionEvent);

    /// <summary>Events of one session, or of a whole organization when <paramref name="sessionId"/> is null.</summary>
    EventSubscription Subscribe(Guid organizationId, Guid? sessionId);

    /// <summary>Every event of every organization on this node (for trusted background work such as webhooks).</summary>
    EventSubscription SubscribeAll(int capacity = 1024);
}

/// <summary>A live feed of events; dispose to stop receiving.</summary>
public sealed class EventSubscription(ChannelReader<SessionEvent> reader, Action unsubscribe) : IDisposable
{
    public ChannelReader<SessionEvent> Reader { get; } = reader;

    public void Dispose() => unsubscribe();
}
