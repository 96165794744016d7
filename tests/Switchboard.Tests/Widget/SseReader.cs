namespace Switchboard.Tests.Widget;

/// <summary>One Server-Sent Event as the browser's EventSource would see it.</summary>
public sealed record ServerSentEvent(string? Id, string Event, string Data);

/// <summary>Reads a text/event-stream response frame by frame, each read bounded by a timeout.</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    public async Task<ServerSentEvent> NextAsync(TimeSpan timeout, Func<ServerSentEvent, bool>? accept = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            string? id = null, name = null;
            var data = new List<string>();
            while (true)
            {
                var line = await _reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the event stream ended");
                if (line.Length == 0)
                {
                    break;
                }
                if (line.StartsWith(':')) continue;
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "id": id = value; break;
                    case "event": name = value; break;
                    case "data": data.Add(value); break;
                }
            }
            if (name is null && data.Count == 0) continue; // retry: or keep-alive frames
            var sse = new ServerSentEvent(id, name ?? "message", string.Join('\n', data));
            if (accept is null || accept(sse)) return sse;
        }
    }

    public void Dispose() => _reader.Dispose();
}
