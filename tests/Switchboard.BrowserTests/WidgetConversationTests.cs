using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Switchboard.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>A customer on the demo store, against the real server end to end.</summary>
public sealed class WidgetConversationTests(BrowserFixture fixture)
{
    private const string Question = "How long does shipping take?";

    /// <summary>
    /// The whole customer journey. Everything up to the customer's message being stored runs on the
    /// server as it is today; the answer needs the conversation pipeline (retrieve, answer, store the
    /// AI message with ai_metadata) and the SSE endpoint (token and message events).
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task CustomerAsksOnTheDemoStoreSeesTheStreamedAnswerWithItsSourceAndFindsItAfterAReload()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");

        await widget.Launcher.ClickAsync();
        await widget.AskAsync(Question);

        await Expect(widget.CustomerMessages).ToHaveCountAsync(1);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        await Expect(widget.CustomerMessages.First).ToContainTextAsync(Question);

        // Waits on the pipeline and the SSE stream: the answer arrives as token events (a live
        // bubble with text), then as the stored message that replaces it, with its source.
        await Expect(widget.StoredAnswers).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        var answer = widget.StoredAnswers.First;
        await Expect(answer).ToHaveAttributeAsync("data-streamed", "true");
        await Expect(answer.Locator(".msg-bubble")).Not.ToBeEmptyAsync();
        await Expect(answer.Locator(".source")).ToContainTextAsync(["Shipping times and costs"]);
        await Expect(widget.Frame.Locator("li.msg-streaming")).ToHaveCountAsync(0);

        await page.ReloadAsync();
        await widget.Launcher.ClickAsync();

        await Expect(widget.CustomerMessages).ToHaveCountAsync(1);
        await Expect(widget.CustomerMessages.First).ToContainTextAsync(Question);
        await Expect(widget.StoredAnswers).ToHaveCountAsync(1);
        await Expect(widget.StoredAnswers.First.Locator(".source")).ToContainTextAsync(["Shipping times and costs"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task AReloadRestoresTheConversationFromTheFramesStorage()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await widget.Launcher.ClickAsync();
        await widget.AskAsync("Do your boots run true to size?");
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");

        await page.ReloadAsync();
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "false");
        await widget.Launcher.ClickAsync();

        await Expect(widget.CustomerMessages).ToHaveCountAsync(1);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        await Expect(widget.CustomerMessages.First).ToContainTextAsync("Do your boots run true to size?");
    }

    [Fact(Timeout = 30_000)]
    public async Task ASuggestedQuestionOnTheDemoStoreOpensTheChatAndAsksIt()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");

        await page.GetByRole(AriaRole.Button, new() { Name = "How do I return an item?" }).ClickAsync();

        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(widget.CustomerMessages).ToHaveCountAsync(1);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        await Expect(widget.CustomerMessages.First).ToContainTextAsync("How do I return an item?");
    }

    [Fact(Timeout = 30_000)]
    public async Task AMessageLostToTheNetworkIsSentAgainWithTheSameClientMessageId()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        var attempts = new List<string>();
        await context.RouteAsync("**/api/widget/sessions/*/messages", async route =>
        {
            if (route.Request.Method != "POST")
            {
                await route.ContinueAsync();
                return;
            }
            attempts.Add(JsonDocument.Parse(route.Request.PostData!).RootElement.GetProperty("clientMessageId").GetString()!);
            if (attempts.Count == 1) await route.AbortAsync("internetdisconnected");
            else await route.ContinueAsync();
        });
        await page.GotoAsync("/");
        await widget.Launcher.ClickAsync();

        await widget.AskAsync("Where can I track my order?");

        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        Assert.Equal(2, attempts.Count);
        Assert.Equal(attempts[0], attempts[1]);
        await Expect(widget.CustomerMessages).ToHaveCountAsync(1);
    }

    [Fact(Timeout = 30_000)]
    public async Task TheWidgetShowsOnAnotherSiteOnlyOnceAllowedAndIgnoresMessagesFromOtherWindows()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        var script = new Uri(fixture.Server.BaseAddress, "/widget.js");
        var key = await fixture.Server.DemoWidgetKeyAsync();
        await using var shop = await HostSite.StartAsync($"""
            <!DOCTYPE html><html lang="en"><head><title>Another shop</title></head>
            <body><h1>Another shop</h1>
            <script src="{script}" data-org-key="{key}" data-title="{Widget.Title}" async></script></body></html>
            """);
        // Until the organization allows this origin, the browser refuses to show the chat in its frame.
        var refused = page.WaitForConsoleMessageAsync(new()
        {
            Predicate = m => m.Text.Contains("frame-ancestors", StringComparison.Ordinal),
            Timeout = 15_000,
        });
        await page.GotoAsync(shop.Url.ToString());
        await widget.Launcher.ClickAsync();
        await refused;

        await fixture.Server.AllowOriginAsync(shop.Url.GetLeftPart(UriPartial.Authority));
        await page.ReloadAsync();
        await widget.Launcher.ClickAsync();
        await Expect(widget.FrameElement).ToHaveAttributeAsync("src", new Regex($"parent=http%3A%2F%2F127.0.0.1%3A{shop.Url.Port}(&|$)"));
        await widget.AskAsync("Which payment methods do you accept?");
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");

        // Only the widget's own frame may close it: the page itself, or any other window, is ignored.
        // The widget's listener was added first, so it has run when this one resolves.
        await page.EvaluateAsync("""
            () => new Promise(resolve => {
              window.addEventListener('message', () => resolve(), { once: true });
              window.postMessage({ source: 'switchboard', type: 'close' }, '*');
            })
            """);
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "true");

        await widget.Input.PressAsync("Escape");
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "false");
    }
}
