using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Widget;

/// <summary>
/// The widget's Server-Sent Events stream (docs/widget-protocol.md). Messages carry their seq as the
/// event id and are read from the database, so a reconnect with Last-Event-ID misses nothing and
/// repeats nothing; tokens, typing and status are live hints from the event bus.
/// </summary>
public static class WidgetEvents
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task StreamAsync(HttpContext http, string token, long? after, CurrentPrincipal principal, AppDbContext db,
        SystemDb systemDb, IEventBus bus, IOptions<WidgetOptions> options)
    {
        var ct = http.RequestAborted;
        var (session, problem) = await WidgetApi.ResolveAsync(http, token, principal, db, systemDb, ct);
        if (session is null)
        {
            await problem!.ExecuteAsync(http);
            return;
        }
        var last = long.TryParse(http.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var resumed)
            ? resumed
            : after ?? 0;

        // Subscribe before reading the backlog: a message stored in between arrives on the feed
        // and is skipped there by its seq, instead of falling into the gap.
        using var feed = bus.Subscribe(session.OrganizationId, session.Id);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync("retry: 2000\n\n", ct);

        last = await CatchUpAsync(http, db, session.Id, last, ct);
        var keepAlive = TimeSpan.FromSeconds(Math.Max(1, options.Value.KeepAliveSeconds));
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(keepAlive);
                SessionEvent next;
                try
                {
                    if (!await feed.Reader.WaitToReadAsync(wait.Token)) return;
                    next = await feed.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    continue;
                }
                last = await WriteAsync(http, db, session.Id, next, last, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The widget went away; EventSource reconnects with Last-Event-ID when it comes back.
        }
    }

    private static async Task<long> WriteAsync(HttpContext http, AppDbContext db, Guid sessionId, SessionEvent next, long last, CancellationToken ct)
    {
        switch (next)
        {
            case MessageCreated { Internal: true }:
                return last; // agents' notes never reach a widget
            case MessageCreated created when created.Message.Seq <= last:
                return last;
            case MessageCreated created when created.Message.Seq == last + 1:
                await SendAsync(http, "message", created.Message, created.Message.Seq.ToString(CultureInfo.InvariantCulture), ct);
                return created.Message.Seq;
            case MessageCreated:
                // A gap (an event dropped by a slow reader, or published by another node): the database has it.
                return await CatchUpAsync(http, db, sessionId, last, ct);
            case AiTokenStreamed token:
                await SendAsync(http, "token", token.Reset
                    ? new { replyTo = token.ReplyToSeq, delta = "", reset = true }
                    : new { replyTo = token.ReplyToSeq, delta = token.Delta, reset = false }, null, ct);
                return last;
            case TypingChanged typing:
                await SendAsync(http, "typing", new { who = typing.Who, name = typing.Name, typing = typing.IsTyping }, null, ct);
                return last;
            case StatusChanged status:
                await SendAsync(http, "status", new { status = status.Status }, null, ct);
                return last;
            default:
                return last;
        }
    }

    private static async Task<long> CatchUpAsync(HttpContext http, AppDbContext db, Guid sessionId, long last, CancellationToken ct)
    {
        while (true)
        {
            var page = await MessageLog.ListAsync(db, sessionId, last, ct);
            foreach (var message in page)
            {
                await SendAsync(http, "message", message, message.Seq.ToString(CultureInfo.InvariantCulture), ct);
                last = message.Seq;
            }
            if (page.Count < MessageLog.PageSize)
            {
                await http.Response.Body.FlushAsync(ct);
                return last;
            }
        }
    }

    private static async Task SendAsync(HttpContext http, string eventName, object data, string? id, CancellationToken ct)
    {
        var frame = new StringBuilder();
        if (id is not null) frame.Append("id: ").Append(id).Append('\n');
        frame.Append("event: ").Append(eventName).Append('\n');
        frame.Append("data: ").Append(JsonSerializer.Serialize(data, Json)).Append("\n\n");
        await http.Response.WriteAsync(frame.ToString(), ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
