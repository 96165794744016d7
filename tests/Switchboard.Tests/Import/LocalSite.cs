using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Import;

/// <summary>
/// A small help site on Kestrel at 127.0.0.1:0, for the crawler: pages linking to each other, robots.txt
/// disallowing /private/, a sitemap and a sitemap index, an off-site link, an off-site redirect, an image,
/// a missing page and a chain of pages four links deep. It records every path requested.
/// </summary>
public sealed class LocalSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requested = new();

    private LocalSite(WebApplication app) => _app = app;

    public Uri Root { get; private set; } = null!;

    public IReadOnlyList<string> Requested => [.. _requested];

    public Uri Url(string path) => new(Root, path);

    /// <summary>Pages whose content the test may change between two crawls.</summary>
    public ConcurrentDictionary<string, string> Pages { get; } = new()
    {
        ["/"] = Page("Acme Help Center", "<p>Welcome to the help center.</p>",
            "<a href=\"/help/shipping\">Shipping</a> <a href=\"/help/returns#how\">Returns</a> <a href=\"/private/secret\">Staff</a> " +
            "<a href=\"https://elsewhere.example/offsite\">Partner</a> <a href=\"/away\">Moved</a> <a href=\"/logo.png\">Logo</a> " +
            "<a href=\"/missing\">Old page</a> <a href=\"/deep/1\">Deep</a> <a href=\"mailto:help@acme.example\">Mail</a>"),
        ["/help/shipping"] = Page("Shipping", "<p>Orders ship within two business days from our warehouse.</p>", "<a href=\"/help/returns\">Returns</a>"),
        ["/help/returns"] = Page("Returns", "<p>Unused items can be returned within sixty days.</p>", "<a href=\"/\">Home</a>"),
        ["/private/secret"] = Page("Staff only", "<p>The staff discount code is SECRET42.</p>", ""),
        ["/deep/1"] = Page("Deep one", "<p>First level down.</p>", "<a href=\"/deep/2\">next</a>"),
        ["/deep/2"] = Page("Deep two", "<p>Second level down.</p>", "<a href=\"/deep/3\">next</a>"),
        ["/deep/3"] = Page("Deep three", "<p>Third level down.</p>", "<a href=\"/deep/4\">next</a>"),
        ["/deep/4"] = Page("Deep four", "<p>Fourth level down.</p>", ""),
    };

    public static string Page(string title, string body, string links) =>
        $"<!DOCTYPE html><html><head><title>{title} | Acme</title></head><body><nav>{links}</nav><main><h1>{title}</h1>{body}</main></body></html>";

    public static async Task<LocalSite> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var app = builder.Build();
        var site = new LocalSite(app);
        app.Run(site.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        site.Root = new Uri(address.TrimEnd('/') + "/");
        return site;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _requested.Enqueue(path);
        switch (path)
        {
            case "/robots.txt":
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("User-agent: *\nDisallow: /private/\n");
                return;
            case "/sitemap.xml":
                context.Response.ContentType = "application/xml";
                await context.Response.WriteAsync(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">" +
                    $"<url><loc>{Url("/help/shipping")}</loc></url><url><loc>{Url("/help/returns")}</loc></url>" +
                    $"<url><loc>{Url("/private/secret")}</loc></url><url><loc>https://elsewhere.example/page</loc></url></urlset>");
                return;
            case "/sitemap-index.xml":
                context.Response.ContentType = "application/xml";
                await context.Response.WriteAsync(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">" +
                    $"<sitemap><loc>{Url("/sitemap.xml")}</loc></sitemap></sitemapindex>");
                return;
            case "/away":
                context.Response.Redirect("http://elsewhere.invalid/landing");
                return;
            case "/logo.png":
                context.Response.ContentType = "image/png";
                await context.Response.Body.WriteAsync(new byte[] { 0x89, 0x50, 0x4E, 0x47 });
                return;
        }
        if (Pages.TryGetValue(path, out var html))
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(html);
            return;
        }
        context.Response.StatusCode = 404;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
