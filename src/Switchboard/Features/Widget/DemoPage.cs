using System.Reflection;
using System.Text.Encodings.Web;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Widget;

/// <summary>
/// The server's home page: the storefront of the demo company with the widget on it. The widget
/// key is random per install, so the page is a template filled in per request rather than a file.
/// </summary>
public static class DemoPage
{
    public const string KeyPlaceholder = "{{WIDGET_KEY}}";

    // Both pages load only this server's own scripts, styles and frames; the widget works under it,
    // which is also what a strict host site needs to allow (docs/widget.md).
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Lazy<string> Template = new(() => ReadResource("DemoPage.html"));
    private static readonly Lazy<string> NoDemoTemplate = new(() => ReadResource("NoDemoPage.html"));

    public static IEndpointRouteBuilder MapDemoPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Render).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> Render(HttpContext http, SystemDb systemDb, CancellationToken ct)
    {
        // The trusted path: the page is public and shows only the demo company's public widget key.
        await using var db = systemDb.CreateContext();
        var widgetKey = await db.Organizations.AsNoTracking()
            .Where(o => o.Slug == DemoData.Slug)
            .Select(o => o.WidgetKey)
            .SingleOrDefaultAsync(ct);

        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers.CacheControl = "no-cache"; // the key changes when the database is recreated
        var html = widgetKey is null
            ? NoDemoTemplate.Value
            : Template.Value.Replace(KeyPlaceholder, HtmlEncoder.Default.Encode(widgetKey), StringComparison.Ordinal);
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Switchboard.Features.Widget.{name}")
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
