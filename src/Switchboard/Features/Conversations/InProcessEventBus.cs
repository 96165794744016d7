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
            if (subscriber.AllOrganizations
                || (subscriber.OrganizationId == sessionEvent.OrganizationId
                    && (subscriber.SessionId is null || subscriber.SessionId == sessionEvent.SessionId)))
            {
                subscriber.Channel.Writer.TryWrite(sessionEvent);
            }
        }
    }

    public EventSubscription Subscribe(Guid organizationId, Guid? sessionId) => Add(new Subscriber(organizationId, sessionId, false, NewChannel(1024)));

    public EventSubscription SubscribeAll(int capacity = 1024) => Add(new Subscriber(Guid.Empty, null, true, NewChannel(capacity)));

    private static Channel<SessionEvent> NewChannel(int capacity) => Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(capacity)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    private EventSubscription Add(Subscriber subscriber)
    {
        var id = Guid.NewGuid();
        var channel = subscriber.Channel;
        _subscribers[id] = subscriber;
        return new EventSubscription(channel.Reader, () =>
        {
            if (_subscribers.TryRemove(id, out var removed)) removed.Channel.Writer.TryComplete();
        });
    }

    private sealed record Subscriber(Guid OrganizationId, Guid? SessionId, bool AllOrganizations, Channel<SessionEvent> Channel);
}
