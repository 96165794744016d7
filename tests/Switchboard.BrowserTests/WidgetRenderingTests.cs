using System.Text.Json;
using Microsoft.Playwright;
using Switchboard.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>
/// The chat's side of docs/widget-protocol.md: the event stream is scripted (FakeServerEvents),
/// the rest is the real server.
/// </summary>
public sealed class WidgetRenderingTests(BrowserFixture fixture)
{
    [Fact(Timeout = 30_000)]
    public async Task StreamedTokensBecomeTheStoredAnswerWithSourcesFeedbackAndEscalation()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        await FakeServerEvents.AnswerShippingQuestionAsync(context);
        JsonElement? feedback = null;
        var escalated = false;
        await context.RouteAsync("**/api/widget/sessions/*/feedback", async route =>
        {
            feedback = JsonDocument.Parse(route.Request.PostData!).RootElement.Clone();
            await route.FulfillAsync(new() { Status = 204 });
        });
        await context.RouteAsync("**/api/widget/sessions/*/escalate", async route =>
        {
            escalated = route.Request.Method == "POST";
            await route.FulfillAsync(new() { Status = 202 });
        });
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await widget.Launcher.ClickAsync();

        await widget.AskAsync(FakeServerEvents.ShippingQuestion);

        var answer = widget.StoredAnswers;
        await Expect(answer).ToHaveCountAsync(1);
        await Expect(answer).ToHaveAttributeAsync("data-streamed", "true");
        await Expect(answer).ToHaveAttributeAsync("data-seq", "2");
        await Expect(answer.Locator(".msg-bubble")).ToHaveTextAsync(FakeServerEvents.ShippingAnswer);
        await Expect(answer.Locator(".source")).ToHaveTextAsync([FakeServerEvents.ShippingTitle]);
        await Expect(answer.Locator(".source")).ToHaveAttributeAsync("data-article-id", FakeServerEvents.ShippingArticleId.ToString());
        await Expect(widget.Frame.Locator("li.msg-streaming")).ToHaveCountAsync(0);
        await Expect(widget.Frame.Locator("#typing")).ToBeHiddenAsync();
        // The question came back on the stream and from the POST: still one bubble.
        await Expect(widget.CustomerMessages).ToHaveCountAsync(1);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        await Screenshots.TakeAsync(page, "desktop-answer");

        var helpful = answer.GetByRole(AriaRole.Button, new() { Name = "Yes, helpful" });
        await helpful.ClickAsync();
        await Expect(helpful).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.NotNull(feedback);
        Assert.Equal(FakeServerEvents.AnswerId.ToString(), feedback.Value.GetProperty("messageId").GetString());
        Assert.True(feedback.Value.GetProperty("helpful").GetBoolean());

        await widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Talk to a person" }).ClickAsync();
        await Expect(widget.Frame.GetByRole(AriaRole.Status).Filter(new() { HasText = "A person will join shortly" })).ToBeVisibleAsync();
        Assert.True(escalated);
    }

    [Fact(Timeout = 30_000)]
    public async Task ADroppedStreamReconnectsByItselfAndShowsEachMessageOnce()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var connections = 0;
        var now = DateTimeOffset.UtcNow;
        await context.RouteAsync(FakeServerEvents.EventsUrl(), async route =>
        {
            // First connection: two messages, then the connection ends and EventSource comes back
            // 200 ms later by itself (with Last-Event-ID: 2, which chromium sends but Playwright's
            // routed request does not show). Second: a repeat of seq 2, as a server resuming
            // loosely might send, and a new agent message.
            var body = Interlocked.Increment(ref connections) switch
            {
                1 => "retry: 200\n\n" + FakeServerEvents.ShippingConversation().Replace("retry: 600000", "retry: 200", StringComparison.Ordinal),
                2 => "retry: 600000\n\n"
                    + FakeServerEvents.Event("message", FakeServerEvents.Message(2, "ai", FakeServerEvents.ShippingAnswer, now, FakeServerEvents.AnswerId), id: 2)
                    + FakeServerEvents.Event("message", FakeServerEvents.Message(3, "agent", "Hi, Alex here from Northwind. Anything else?", now), id: 3),
                _ => "retry: 600000\n\n",
            };
            await route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = body });
        });
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await widget.Launcher.ClickAsync();

        await widget.AskAsync(FakeServerEvents.ShippingQuestion);

        await Expect(widget.Frame.Locator("li.msg-agent")).ToHaveCountAsync(1);
        await Expect(widget.StoredAnswers).ToHaveCountAsync(1);
        await Expect(widget.CustomerMessages).ToHaveCountAsync(1);
        Assert.True(connections >= 2);
    }

    [Fact(Timeout = 30_000)]
    public async Task AReplyArrivingWhileTheChatIsClosedShowsOnTheLauncher()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await widget.Launcher.ClickAsync();
        await widget.AskAsync(FakeServerEvents.ShippingQuestion);
        // The real assistant answers (seq 2) while the panel is open: read, nothing unread.
        await Expect(widget.StoredAnswers).ToHaveCountAsync(1);
        await Expect(widget.StoredAnswers.First).ToHaveAttributeAsync("data-seq", "2");
        // After the reload the panel stays closed and the stream brings an agent's reply (seq 3).
        const string reply = "Hi, Alex here from Northwind. Anything else?";
        await FakeServerEvents.RouteAsync(context, "retry: 600000\n\n" +
            FakeServerEvents.Event("message", FakeServerEvents.Message(3, "agent", reply, DateTimeOffset.UtcNow), id: 3));

        await page.ReloadAsync();

        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(widget.Launcher).ToHaveAccessibleNameAsync($"Chat with {Widget.Title} (1 new message)");
        await Expect(page.Locator("switchboard-widget .badge")).ToHaveTextAsync("1");
        await widget.Launcher.ClickAsync();
        await Expect(widget.Frame.Locator("li.msg-agent .msg-bubble")).ToHaveTextAsync(reply);
        await Expect(widget.StoredAnswers).ToHaveCountAsync(1);
        await Expect(page.Locator("switchboard-widget .badge")).ToBeHiddenAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task AResetDiscardsTheStreamedTextAndTheAnswerStartsAgain()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        // The model streams two words and fails; the fallback answer streams after a reset. The stored
        // message has not come yet, so the bubble shows only what followed the reset.
        await FakeServerEvents.RouteAsync(context, "retry: 600000\n\n" +
            FakeServerEvents.Event("message", FakeServerEvents.Message(1, "user", FakeServerEvents.ShippingQuestion, DateTimeOffset.UtcNow), id: 1) +
            FakeServerEvents.Event("token", new { replyTo = 1, delta = "Shipping is ", reset = false }) +
            FakeServerEvents.Event("token", new { replyTo = 1, delta = "instant", reset = false }) +
            FakeServerEvents.Event("token", new { replyTo = 1, delta = "", reset = true }) +
            FakeServerEvents.Event("token", new { replyTo = 1, delta = "Standard shipping ", reset = false }) +
            FakeServerEvents.Event("token", new { replyTo = 1, delta = "takes 3-5 business days.", reset = false }));
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await widget.Launcher.ClickAsync();

        await widget.AskAsync(FakeServerEvents.ShippingQuestion);

        await Expect(widget.Frame.Locator("li.msg-streaming .msg-bubble")).ToHaveTextAsync("Standard shipping takes 3-5 business days.");
    }

    [Fact(Timeout = 30_000)]
    public async Task MessageTextIsShownAsTextNeverAsMarkup()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        const string markup = "<img src=x onerror=\"window.parent.pwned=1\"><b>Alex</b> here";
        await FakeServerEvents.RouteAsync(context, "retry: 600000\n\n" +
            FakeServerEvents.Event("status", new { status = "escalated" }) +
            FakeServerEvents.Event("message", FakeServerEvents.Message(2, "agent", markup, DateTimeOffset.UtcNow), id: 2));
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await widget.Launcher.ClickAsync();

        await widget.AskAsync("<script>alert(1)</script>");

        var agent = widget.Frame.Locator("li.msg-agent");
        await Expect(agent.Locator(".msg-bubble")).ToHaveTextAsync(markup);
        await Expect(widget.Frame.Locator("li.msg img, li.msg b, li.msg script")).ToHaveCountAsync(0);
        await Expect(widget.CustomerMessages.First.Locator(".msg-bubble")).ToHaveTextAsync("<script>alert(1)</script>");
        await Expect(widget.Frame.GetByText("A person will join shortly").First).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));
    }
}
