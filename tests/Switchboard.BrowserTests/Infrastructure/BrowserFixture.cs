using Microsoft.Playwright;

namespace Switchboard.BrowserTests.Infrastructure;

/// <summary>
/// One server and one Debian chromium for the whole assembly; every test opens its own browser
/// context, so storage (the widget's saved conversation) never leaks from one test to another.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium. Playwright's own browser download is never used (no network for it in CI).</summary>
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("SWITCHBOARD_CHROMIUM") is { Length: > 0 } path
        ? path : "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public DemoServer Server { get; } = new();

    public bool HasChromium { get; } = File.Exists(ChromiumPath);

    public async ValueTask InitializeAsync()
    {
        Server.Start();
        if (!HasChromium) return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 30_000,
        });
    }

    /// <summary>
    /// A fresh browser context (its own storage), or the test is skipped when chromium is missing
    /// on a developer's machine. In CI a missing browser is a failure: .ci/run installs it.
    /// </summary>
    /// The context closes when <paramref name="testCancelled"/> fires (the test's timeout), which
    /// ends any Playwright call still waiting.
    public async Task<IBrowserContext> NewContextAsync(CancellationToken testCancelled, BrowserNewContextOptions? options = null)
    {
        if (_browser is null)
        {
            var message = $"Browser tests need Debian's chromium at {ChromiumPath} (apt-get install chromium).";
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(message);
            Assert.Skip(message);
        }
        options ??= new();
        options.BaseURL = Server.BaseAddress.ToString().TrimEnd('/');
        // Animations off: the panel's opening animation would otherwise move what a test measures.
        options.ReducedMotion = ReducedMotion.Reduce;
        options.ViewportSize ??= new ViewportSize { Width = 1280, Height = 800 };
        var context = await _browser!.NewContextAsync(options);
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(15_000);
        testCancelled.Register(() => _ = context.CloseAsync());
        // The browser's console and failed requests go to the test's output: the first thing to
        // read when a browser test fails.
        var output = TestContext.Current.TestOutputHelper;
        context.Console += (_, message) => output?.WriteLine($"[console.{message.Type}] {message.Text}");
        context.RequestFailed += (_, request) => output?.WriteLine($"[request failed] {request.Method} {request.Url}: {request.Failure}");
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}
