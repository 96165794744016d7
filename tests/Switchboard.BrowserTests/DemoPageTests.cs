using System.Net;
using Switchboard.BrowserTests.Infrastructure;

namespace Switchboard.BrowserTests;

/// <summary>The home page over plain HTTP: no browser needed.</summary>
public sealed class DemoPageTests(BrowserFixture fixture)
{
    [Fact(Timeout = 30_000)]
    public async Task HomePageIsTheDemoStoreCarryingTheDemoCompanysWidgetKey()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };

        var response = await http.GetAsync("/", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(ct);
        Assert.Contains("Northwind Outfitters", html, StringComparison.Ordinal);
        Assert.Contains($"""<script src="/widget.js" data-org-key="{await fixture.Server.DemoWidgetKeyAsync()}" """, html, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", html, StringComparison.Ordinal);
        Assert.Contains("frame-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task WithoutADemoCompanyTheHomePageSaysHowToGetOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new DemoServer(seedDemoData: false, kestrel: false);
        using var http = server.CreateClient();

        var response = await http.GetAsync("/", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(ct);
        Assert.Contains("no demo company", html, StringComparison.Ordinal);
        Assert.Contains("""href="/console""", html, StringComparison.Ordinal);
        Assert.DoesNotContain("widget.js", html, StringComparison.Ordinal);
    }
}
