using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Switchboard.Features.Conversations;

/// <summary>
/// Fans events out to subscribers on this node. Each subscriber has a bounded buffer: a reader too
/// slow to keep up loses ephemeral events, never messages, because readers resume from the database.
/// </summary>
public sealed class InProcessEventBus : IEventBus
{
    private readonly ConcurrentDictionary<Guid, Subscriber> _subscribers = new();

    public void Publish(SessionEvent sessionEvent)
    {
        foreach (var subscriber in _subscribers.Values)
        {
            if (subscriber.OrganizationId == sessionEvent.OrganizationId
                && (subscriber.SessionId is null || subscriber.SessionId == sessionEvent.SessionId))
            {
                subscriber.Channel.Writer.TryWrite(sessionEvent);
            }
        }
    }

    public EventSubscription Subscribe(Guid organizationId, Guid? sessionId)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(1024)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        _subscribers[id] = new Subscriber(organizationId, sessionId, channel);
        return new EventSubscription(channel.Reader, () =>
        {
            if (_subscribers.TryRemove(id, out var removed)) removed.Channel.Writer.TryComplete();
        });
    }

    private sealed record Subscriber(Guid OrganizationId, Guid? SessionId, Channel<SessionEvent> Channel);
}
