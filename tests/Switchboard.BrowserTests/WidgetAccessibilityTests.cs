using Microsoft.Playwright;
using Switchboard.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

public sealed class WidgetAccessibilityTests(BrowserFixture fixture)
{
    [Fact(Timeout = 30_000)]
    public async Task KeyboardReachesTheLauncherOpensTheChatAndEscapeReturnsFocus()
    {
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken);
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await Expect(widget.Launcher).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "How long does shipping take?" })).ToBeEnabledAsync();
        await Screenshots.TakeAsync(page, "desktop-home", fullPage: true);
        await Expect(widget.Launcher).ToHaveAccessibleNameAsync($"Chat with {Widget.Title}");
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-controls", "switchboard-panel");

        // The launcher comes last in the page's tab order.
        for (var i = 0; i < 60 && !await IsFocusedAsync(widget.Launcher); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        await Expect(widget.Launcher).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("Enter");
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(widget.Panel).ToBeVisibleAsync();
        await Expect(widget.Input).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("Escape");
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(widget.Panel).ToBeHiddenAsync();
        await Expect(widget.Launcher).ToBeFocusedAsync();

        // Once the frame exists, opening again moves focus straight into it too.
        await page.Keyboard.PressAsync("Enter");
        await Expect(widget.Input).ToBeFocusedAsync();
        await widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Close chat" }).PressAsync("Enter");
        await Expect(widget.Panel).ToBeHiddenAsync();
        await Expect(widget.Launcher).ToBeFocusedAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task OnAPhoneTheChatFillsTheScreenAndClosesFromItsOwnHeader()
    {
        var phone = new ViewportSize { Width = 390, Height = 844 };
        await using var context = await fixture.NewContextAsync(TestContext.Current.CancellationToken, new() { ViewportSize = phone, IsMobile = true, HasTouch = true });
        await FakeServerEvents.AnswerShippingQuestionAsync(context); // only so the screenshot shows an answer
        var page = await context.NewPageAsync();
        var widget = new Widget(page);
        await page.GotoAsync("/");
        await Expect(widget.Launcher).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "phone-home");

        await widget.Launcher.TapAsync();

        await Expect(widget.Panel).ToBeVisibleAsync();
        var box = await widget.FrameElement.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.Equal(0, box.X, 0.5);
        Assert.Equal(0, box.Y, 0.5);
        Assert.Equal(phone.Width, box.Width, 0.5);
        Assert.Equal(phone.Height, box.Height, 0.5);
        await Expect(widget.Launcher).ToBeHiddenAsync();
        await widget.AskAsync(FakeServerEvents.ShippingQuestion);
        await Expect(widget.StoredAnswers).ToHaveCountAsync(1);
        await Screenshots.TakeAsync(page, "phone-answer");

        await widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Close chat" }).TapAsync();
        await Expect(widget.Panel).ToBeHiddenAsync();
        await Expect(widget.Launcher).ToBeVisibleAsync();
    }

    private static Task<bool> IsFocusedAsync(ILocator locator) =>
        locator.EvaluateAsync<bool>("el => el.getRootNode().activeElement === el");
}
