using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Knowledge.Import;

namespace Switchboard.Tests.Import;

public sealed class CrawlerTests : IAsyncLifetime
{
    private LocalSite _site = null!;

    public async ValueTask InitializeAsync() => _site = await LocalSite.StartAsync();

    public async ValueTask DisposeAsync() => await _site.DisposeAsync();

    private static SiteCrawler Crawler(bool allowPrivate = true)
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Knowledge:Import:AllowPrivateAddresses"] = allowPrivate ? "true" : "false",
            }).Build())
            .AddKnowledgeCrawler()
            .BuildServiceProvider();
        return services.GetRequiredService<SiteCrawler>();
    }

    [Fact]
    public async Task ACrawlFollowsSameSiteLinksAndHonoursRobotsTxt()
    {
        var result = await Crawler().CrawlAsync(new CrawlRequest(_site.Root, 50, 1), null, TestContext.Current.CancellationToken);

        var byTitle = result.Articles.ToDictionary(a => a.Title);
        Assert.Equal(["Acme Help Center", "Deep one", "Returns", "Shipping"], byTitle.Keys.Order());
        Assert.Equal(_site.Url("/help/returns").AbsoluteUri, byTitle["Returns"].SourceUri); // the #how fragment is not a page of its own
        Assert.Contains("Orders ship within two business days", byTitle["Shipping"].Content, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", byTitle["Shipping"].Category);

        Assert.DoesNotContain("/private/secret", _site.Requested);
        Assert.Contains(result.Warnings, w => w.Contains("/private/secret: skipped, robots.txt disallows it", StringComparison.Ordinal));
        // Off the site: neither the link nor the redirect's target is fetched; an image is not a page; a 404 is a failure.
        Assert.Contains(result.Warnings, w => w.Contains("/away: redirects off the site to http://elsewhere.invalid/landing", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("/logo.png: is image/png, not an HTML page", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("/missing: answered 404", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Warnings, w => w.Contains("elsewhere.example", StringComparison.Ordinal));
        Assert.Equal(3, result.Failed);
        Assert.Equal(1, _site.Requested.Count(p => p == "/help/returns"));
    }

    [Fact]
    public async Task MaxDepthCountsLinkHopsFromTheStartPage()
    {
        var crawler = Crawler();

        var two = await crawler.CrawlAsync(new CrawlRequest(_site.Url("/deep/1"), 50, 2), null, TestContext.Current.CancellationToken);
        var none = await crawler.CrawlAsync(new CrawlRequest(_site.Url("/deep/1"), 50, 0), null, TestContext.Current.CancellationToken);

        Assert.Equal(["Deep one", "Deep two", "Deep three"], two.Articles.Select(a => a.Title));
        Assert.Equal(["Deep one"], none.Articles.Select(a => a.Title));
    }

    [Fact]
    public async Task MaxPagesStopsTheCrawlAndSaysSo()
    {
        var progress = new List<(int Fetched, int Found)>();

        var result = await Crawler().CrawlAsync(new CrawlRequest(_site.Root, 2, 3), new SyncProgress(progress.Add), TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Fetched);
        Assert.Equal(2, result.Articles.Count);
        Assert.Contains(result.Warnings, w => w.StartsWith("Stopped at 2 pages (maxPages)", StringComparison.Ordinal));
        Assert.Equal([(1, 1), (2, 2)], progress);
    }

    [Fact]
    public async Task ASitemapImportsExactlyItsSameSitePagesThatRobotsAllow()
    {
        var result = await Crawler().CrawlAsync(new CrawlRequest(_site.Url("/sitemap.xml"), 50, 3), null, TestContext.Current.CancellationToken);
        var fromIndex = await Crawler().CrawlAsync(new CrawlRequest(_site.Url("/sitemap-index.xml"), 50, 3), null, TestContext.Current.CancellationToken);

        Assert.Equal(["Shipping", "Returns"], result.Articles.Select(a => a.Title));
        Assert.Equal(["Shipping", "Returns"], fromIndex.Articles.Select(a => a.Title));
        Assert.DoesNotContain("/private/secret", _site.Requested);
        Assert.DoesNotContain("/", _site.Requested); // links are not followed from a sitemap
    }

    [Fact]
    public async Task AnUnreachableUrlIsAClearErrorNamingTheUrl()
    {
        var closed = new Uri($"http://127.0.0.1:{FreePort()}/help");

        var error = await Assert.ThrowsAsync<ImportException>(() => Crawler().CheckAsync(closed, TestContext.Current.CancellationToken));

        Assert.Equal("url", error.Field);
        Assert.StartsWith($"Could not reach {closed}: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Check the address and that the site is up.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingStartPageIsRefused()
    {
        var error = await Assert.ThrowsAsync<ImportException>(() => Crawler().CheckAsync(_site.Url("/missing"), TestContext.Current.CancellationToken));

        Assert.Contains("answered 404", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerDoesNotCrawlLocalOrPrivateAddressesUnlessAllowed()
    {
        var crawler = Crawler(allowPrivate: false);

        var local = await Assert.ThrowsAsync<ImportException>(() => crawler.CheckAsync(_site.Root, TestContext.Current.CancellationToken));
        var privateNet = await Assert.ThrowsAsync<ImportException>(() => crawler.CheckAsync(new Uri("http://10.1.2.3/"), TestContext.Current.CancellationToken));
        var ftp = await Assert.ThrowsAsync<ImportException>(() => crawler.CheckAsync(new Uri("ftp://example.com/"), TestContext.Current.CancellationToken));

        Assert.Contains("is a private or local address", local.Message, StringComparison.Ordinal);
        Assert.Contains("is a private or local address", privateNet.Message, StringComparison.Ordinal);
        Assert.Contains("is not an http or https address", ftp.Message, StringComparison.Ordinal);
        Assert.Empty(_site.Requested);
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class SyncProgress(Action<(int, int)> report) : IProgress<(int Fetched, int Found)>
    {
        public void Report((int Fetched, int Found) value) => report(value);
    }
}
