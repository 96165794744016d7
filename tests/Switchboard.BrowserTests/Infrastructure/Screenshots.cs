using Microsoft.Playwright;

namespace Switchboard.BrowserTests.Infrastructure;

/// <summary>
/// Screenshots for people, not assertions: taken only when SWITCHBOARD_SCREENSHOTS names a folder,
/// e.g. <c>SWITCHBOARD_SCREENSHOTS=artifacts/screenshots dotnet test tests/Switchboard.BrowserTests</c>.
/// </summary>
public static class Screenshots
{
    public static async Task TakeAsync(IPage page, string name, bool fullPage = false)
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_SCREENSHOTS") is not { Length: > 0 } folder) return;
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png"), FullPage = fullPage });
    }
}
