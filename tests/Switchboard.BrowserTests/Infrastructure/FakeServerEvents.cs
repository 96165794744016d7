using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Switchboard.BrowserTests.Infrastructure;

/// <summary>
/// Stands in for the server's event stream, exactly as docs/widget-protocol.md describes it, so the
/// chat's rendering of streamed answers, sources and typing is tested without an AI pipeline.
/// Everything else (sessions, posting, history) is the real server.
/// </summary>
public static partial class FakeServerEvents
{
    public const string ShippingQuestion = "How long does shipping take?";
    public const string ShippingTitle = "Shipping times and costs";
    public const string ShippingAnswer =
        "Standard shipping within the EU takes 3-5 business days and is free on orders over 50 EUR; below that it costs 4.90 EUR. " +
        "Express shipping arrives in 1-2 business days for 12.90 EUR.";

    public static readonly Guid ShippingArticleId = Guid.Parse("0193a1b2-0000-7000-8000-00000000a001");
    public static readonly Guid AnswerId = Guid.Parse("0193a1b2-0000-7000-8000-00000000b002");

    [GeneratedRegex("/api/widget/sessions/[^/]+/events")]
    public static partial Regex EventsUrl();

    /// <summary>
    /// Every stream request gets: the customer's question (seq 1), the assistant typing, the answer
    /// token by token, the stored answer (seq 2) with its source. `retry` keeps the browser from
    /// reconnecting during the test.
    /// </summary>
    public static Task AnswerShippingQuestionAsync(IBrowserContext context) =>
        RouteAsync(context, ShippingConversation());

    public static Task RouteAsync(IBrowserContext context, string body) =>
        context.RouteAsync(EventsUrl(), route => route.FulfillAsync(new()
        {
            Status = 200,
            ContentType = "text/event-stream",
            Headers = new Dictionary<string, string> { ["Cache-Control"] = "no-cache" },
            Body = body,
        }));

    public static string ShippingConversation()
    {
        var now = DateTimeOffset.UtcNow;
        var stream = new StringBuilder("retry: 600000\n\n");
        stream.Append(Event("message", Message(1, "user", ShippingQuestion, now), id: 1));
        stream.Append(Event("typing", new { who = "ai", typing = true }));
        foreach (var word in Regex.Split(ShippingAnswer, "(?<= )"))
        {
            stream.Append(Event("token", new { replyTo = 1, delta = word }));
        }
        var metadata = new
        {
            sources = new[] { new { articleId = ShippingArticleId, title = ShippingTitle, score = 0.83 } },
            confidence = 0.83,
            decision = "answer",
            model = "extractive",
            latencyMs = 14,
        };
        stream.Append(Event("message", Message(2, "ai", ShippingAnswer, now.AddSeconds(1), AnswerId, metadata), id: 2));
        stream.Append(Event("typing", new { who = "ai", typing = false }));
        return stream.ToString();
    }

    public static object Message(long seq, string type, string content, DateTimeOffset createdAt, Guid? id = null, object? aiMetadata = null) => new
    {
        id = id ?? Guid.CreateVersion7(),
        seq,
        messageType = type,
        content,
        createdAt,
        aiMetadata,
        agentId = (Guid?)null,
    };

    public static string Event(string name, object data, long? id = null) =>
        (id is { } seq ? $"id: {seq}\n" : "") + $"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n";
}
