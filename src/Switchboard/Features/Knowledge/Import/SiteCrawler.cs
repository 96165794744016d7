using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using Microsoft.Extensions.Options;
using Switchboard.Net;

namespace Switchboard.Features.Knowledge.Import;

/// <summary>Which website to import and how far to go.</summary>
public sealed record CrawlRequest(Uri Start, int MaxPages, int MaxDepth);

/// <summary>What a crawl found: one article per page with text, and the pages it could not use.</summary>
public sealed record CrawlResult(List<ImportedArticle> Articles, int Fetched, int Failed, List<string> Warnings);

public sealed class KnowledgeImportOptions
{
    /// <summary>
    /// Whether a crawl may fetch loopback, private and link-local addresses. Off on servers: an admin's URL
    /// must not reach the server's own network. The CLI (run by the operator) and tests turn it on.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>
/// Imports a website: from a page, following same-site links breadth first up to <c>MaxDepth</c> link hops, or
/// exactly the pages a sitemap (or sitemap index) lists. Same scheme, host and port only, robots.txt honoured
/// (agent <c>Switchboard</c>, else <c>*</c>), HTML only, redirects followed only within the site, at most
/// <c>MaxPages</c> pages fetched.
/// </summary>
public sealed class SiteCrawler(IHttpClientFactory httpClients, IOptions<KnowledgeImportOptions> options, ILogger<SiteCrawler> logger)
{
    public const string HttpClientName = "knowledge-crawler";
    public const int DefaultMaxPages = 200;
    public const int HardMaxPages = 1000;
    public const int DefaultMaxDepth = 3;
    public const int HardMaxDepth = 10;
    private const int MaxPageBytes = 2 * 1024 * 1024;
    private const int MaxRedirects = 5;
    private const int MaxSitemaps = 20;

    /// <summary>Refuses a URL that cannot be crawled (bad scheme, private address, unreachable, not a page) before any job starts.</summary>
    public async Task CheckAsync(Uri start, CancellationToken ct)
    {
        await CheckAddressAsync(start, ct);
        var (response, error) = await GetAsync(start, ct);
        using (response)
        {
            if (response is null) throw new ImportException("url", $"Could not reach {start}: {error}. Check the address and that the site is up.");
            if (!response.IsSuccessStatusCode) throw new ImportException("url", $"{start} answered {(int)response.StatusCode} {response.ReasonPhrase}. Give the address of a page or a sitemap that exists.");
        }
    }

    public async Task<CrawlResult> CrawlAsync(CrawlRequest request, IProgress<(int Fetched, int Found)>? progress, CancellationToken ct)
    {
        var start = Normalize(request.Start);
        await CheckAddressAsync(start, ct);
        var robots = await RobotsAsync(start, ct);
        var articles = new List<ImportedArticle>();
        var warnings = new List<string>();
        var (fetched, failed) = (0, 0);
        var seen = new HashSet<Uri> { start };
        var queue = new Queue<(Uri Url, int Depth)>();
        var followLinks = true;

        if (LooksLikeSitemap(start))
        {
            followLinks = false;
            foreach (var page in (await SitemapAsync(start, warnings, ct)).Where(u => SameSite(u, start)).Select(Normalize))
            {
                if (seen.Add(page)) queue.Enqueue((page, 0));
            }
            if (queue.Count == 0) throw new ImportException("url", $"The sitemap {start} lists no pages of {start.Host}.");
        }
        else
        {
            queue.Enqueue((start, 0));
        }

        while (queue.Count > 0 && fetched < request.MaxPages)
        {
            ct.ThrowIfCancellationRequested();
            var (url, depth) = queue.Dequeue();
            if (!robots.IsAllowed(url.PathAndQuery))
            {
                warnings.Add($"{url}: skipped, robots.txt disallows it.");
                continue;
            }
            if (fetched > 0 && robots.CrawlDelay is { } delay) await Task.Delay(delay, ct);
            fetched++;
            var (page, problem) = await FetchPageAsync(url, start, ct);
            if (page is null)
            {
                failed++;
                warnings.Add($"{url}: {problem}");
            }
            else
            {
                if (followLinks && depth < request.MaxDepth && !page.NoFollow)
                {
                    foreach (var link in page.Links.Where(l => SameSite(l, start)).Select(Normalize).Where(seen.Add))
                    {
                        queue.Enqueue((link, depth + 1));
                    }
                }
                if (page.NoIndex) warnings.Add($"{url}: skipped, the page asks not to be indexed (meta robots noindex).");
                else if (page.Content.Length == 0) warnings.Add($"{url}: skipped, no text.");
                else if (page.Content.Length > KnowledgeApi.MaxContentLength)
                {
                    failed++;
                    warnings.Add($"{url}: its text is {page.Content.Length} characters; the limit is {KnowledgeApi.MaxContentLength}.");
                }
                else
                {
                    var title = page.Title ?? ImportText.Title(url.AbsolutePath.Trim('/') is { Length: > 0 } p ? p : url.Host);
                    articles.Add(new ImportedArticle(url.AbsoluteUri, title, page.Content, Category(start), []));
                }
            }
            progress?.Report((fetched, articles.Count));
        }
        if (queue.Count > 0) warnings.Add($"Stopped at {request.MaxPages} pages (maxPages); {queue.Count} more were found.");
        logger.LogInformation("Crawled {Start}: {Fetched} pages fetched, {Articles} articles, {Failed} failed", start, fetched, articles.Count, failed);
        return new CrawlResult(articles, fetched, failed, warnings);
    }

    private static string Category(Uri start) => start.Host.Length <= 100 ? start.Host : start.Host[..100];

    private async Task<(HtmlPage? Page, string? Problem)> FetchPageAsync(Uri url, Uri site, CancellationToken ct)
    {
        var (response, error) = await GetAsync(url, ct);
        using (response)
        {
            if (response is null) return (null, error);
            if (!response.IsSuccessStatusCode) return (null, $"answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            var final = response.RequestMessage?.RequestUri ?? url;
            if (!SameSite(final, site)) return (null, $"redirects off the site to {final}; not followed.");
            var type = response.Content.Headers.ContentType?.MediaType ?? "";
            if (type is not ("text/html" or "application/xhtml+xml")) return (null, $"is {(type.Length == 0 ? "of no stated type" : type)}, not an HTML page; skipped.");
            var html = await ReadLimitedAsync(response, ct);
            if (html is null) return (null, $"is larger than {MaxPageBytes / (1024 * 1024)} MB; skipped.");
            return (HtmlImporter.Parse(html, final), null);
        }
    }

    /// <summary>GET with redirects followed by hand, only within the site; a network failure is a message, not an exception.</summary>
    private async Task<(HttpResponseMessage? Response, string? Error)> GetAsync(Uri url, CancellationToken ct)
    {
        var client = httpClients.CreateClient(HttpClientName);
        var current = url;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            HttpResponseMessage response;
            try
            {
                response = await client.GetAsync(current, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                return (null, e.InnerException?.Message ?? e.Message);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return (null, $"no answer within {client.Timeout.TotalSeconds:0} seconds");
            }
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var next = new Uri(current, location);
                response.Dispose();
                if (!SameSite(next, url)) return (null, $"redirects off the site to {next}; not followed");
                current = next;
                continue;
            }
            return (response, null);
        }
        return (null, $"more than {MaxRedirects} redirects");
    }

    private static async Task<string?> ReadLimitedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > MaxPageBytes) return null;
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxPageBytes) return null;
        }
        var charset = response.Content.Headers.ContentType?.CharSet;
        Encoding encoding;
        try
        {
            encoding = charset is null ? Encoding.UTF8 : Encoding.GetEncoding(charset.Trim('"'));
        }
        catch (ArgumentException)
        {
            encoding = Encoding.UTF8;
        }
        return encoding.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private async Task<RobotsTxt> RobotsAsync(Uri site, CancellationToken ct)
    {
        var (response, _) = await GetAsync(new Uri(site, "/robots.txt"), ct);
        using (response)
        {
            // RFC 9309: unreachable or 4xx robots.txt allows everything; a 5xx one means the site wants no crawling.
            if (response is null || (int)response.StatusCode is >= 400 and < 500) return RobotsTxt.AllowAll;
            if (!response.IsSuccessStatusCode) throw new ImportException("url", $"{site.GetLeftPart(UriPartial.Authority)}/robots.txt answered {(int)response.StatusCode}; the site does not allow crawling now. Try again later.");
            return RobotsTxt.Parse(await ReadLimitedAsync(response, ct) ?? "");
        }
    }

    private async Task<List<Uri>> SitemapAsync(Uri sitemap, List<string> warnings, CancellationToken ct)
    {
        var pages = new List<Uri>();
        var pending = new Queue<Uri>([sitemap]);
        var read = 0;
        while (pending.Count > 0 && read < MaxSitemaps)
        {
            var url = pending.Dequeue();
            read++;
            var (response, error) = await GetAsync(url, ct);
            using (response)
            {
                if (response is null || !response.IsSuccessStatusCode)
                {
                    if (url == sitemap) throw new ImportException("url", $"Could not read the sitemap {url}: {error ?? ((int)response!.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
                    warnings.Add($"{url}: could not read this sitemap.");
                    continue;
                }
                XDocument xml;
                try
                {
                    xml = XDocument.Parse(await ReadLimitedAsync(response, ct) ?? "");
                }
                catch (System.Xml.XmlException e)
                {
                    if (url == sitemap) throw new ImportException("url", $"{url} is not a valid XML sitemap ({e.Message}).");
                    warnings.Add($"{url}: not a valid XML sitemap.");
                    continue;
                }
                var locations = xml.Descendants().Where(e => e.Name.LocalName == "loc").Select(e => e.Value.Trim());
                var isIndex = xml.Root?.Name.LocalName == "sitemapindex";
                foreach (var location in locations)
                {
                    if (!Uri.TryCreate(location, UriKind.Absolute, out var loc) || !SameSite(loc, sitemap)) continue;
                    if (isIndex) pending.Enqueue(loc);
                    else pages.Add(loc);
                }
            }
        }
        return pages;
    }

    private async Task CheckAddressAsync(Uri url, CancellationToken ct)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw new ImportException("url", $"\"{url}\" is not an http or https address.");
        }
        if (options.Value.AllowPrivateAddresses) return;
        bool anyPrivate;
        try
        {
            (_, anyPrivate) = await PrivateAddresses.ResolveAndCheckAsync(url.IdnHost, ct);
        }
        catch (SocketException e)
        {
            throw new ImportException("url", $"Could not reach {url}: the host name {url.Host} does not resolve ({e.Message}).");
        }
        if (anyPrivate)
        {
            throw new ImportException("url", $"{url.Host} is a private or local address; this server does not crawl its own network. Use `kb import` on the command line for internal sites.");
        }
    }

    private static bool LooksLikeSitemap(Uri url) => url.AbsolutePath.EndsWith(".xml", StringComparison.OrdinalIgnoreCase);

    public static bool SameSite(Uri url, Uri site) =>
        url.IsAbsoluteUri && string.Equals(url.Scheme, site.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(url.IdnHost, site.IdnHost, StringComparison.OrdinalIgnoreCase) && url.Port == site.Port;

    /// <summary>The page's identity: no fragment, default port dropped, lower-case scheme and host (Uri does those).</summary>
    public static Uri Normalize(Uri url) => new UriBuilder(url) { Fragment = "" }.Uri;
}
