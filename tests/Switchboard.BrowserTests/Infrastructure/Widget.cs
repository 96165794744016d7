using Microsoft.Playwright;

namespace Switchboard.BrowserTests.Infrastructure;

/// <summary>The widget on a page, as a test reaches it: Playwright's selectors pierce its shadow root.</summary>
public sealed class Widget(IPage page)
{
    public const string Title = "Northwind Outfitters";

    public ILocator Launcher => page.Locator("switchboard-widget button.launcher");

    public ILocator Panel => page.Locator("switchboard-widget #switchboard-panel");

    public ILocator FrameElement => page.Locator("switchboard-widget iframe");

    public IFrameLocator Frame => page.FrameLocator("switchboard-widget iframe");

    public ILocator Input => Frame.GetByLabel("Your message");

    public ILocator CustomerMessages => Frame.Locator("li.msg-user");

    /// <summary>AI answers as stored by the server (they have a seq), not the bubble still streaming.</summary>
    public ILocator StoredAnswers => Frame.Locator("li.msg-ai[data-seq]");

    public async Task AskAsync(string question)
    {
        await Input.FillAsync(question);
        await Input.PressAsync("Enter");
    }
}
