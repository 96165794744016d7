using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using Switchboard.Data;

namespace Switchboard.Features.Widget;

/// <summary>
/// CORS for the widget API, limited per organization. A preflight carries no body, so it is answered
/// for any origin some organization allows; the actual request is then checked against the
/// organization it addresses (by orgKey or session token) and refused with a problem detail when
/// that organization does not list the origin. The widget's own iframe is same-origin and needs none of this;
/// instead, its page may only be framed by the organization's allowed origins (CSP <c>frame-ancestors</c>).
/// </summary>
public sealed class WidgetOrigins(SystemDb systemDb)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private (DateTimeOffset At, HashSet<string> Origins)? _any;

    public static string? CrossOrigin(HttpContext http)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin)) return null;
        var own = $"{http.Request.Scheme}://{http.Request.Host}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) ? null : origin.TrimEnd('/');
    }

    /// <summary>Whether any organization allows <paramref name="origin"/> (for preflights).</summary>
    public async Task<bool> AnyOrganizationAllowsAsync(string origin, CancellationToken ct)
    {
        if (_any is not { } cached || DateTimeOffset.UtcNow - cached.At > CacheFor)
        {
            await using var db = systemDb.CreateContext();
            var all = await db.Organizations.AsNoTracking().Select(o => o.AllowedOrigins).ToListAsync(ct);
            cached = (DateTimeOffset.UtcNow, all.SelectMany(o => o).Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase));
            _any = cached;
        }
        return cached.Origins.Contains(origin);
    }

    public static bool Allows(IEnumerable<string> allowed, string origin) =>
        allowed.Any(a => string.Equals(a.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase));

    public static void WriteAllowHeaders(HttpResponse response, string origin)
    {
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.Vary = new StringValues("Origin");
    }

    /// <summary>Answers widget preflights before routing sends them anywhere.</summary>
    public static IApplicationBuilder UseWidgetPreflight(IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.Path.StartsWithSegments("/api/widget") && HttpMethods.IsOptions(http.Request.Method)
            && CrossOrigin(http) is { } origin && http.Request.Headers.AccessControlRequestMethod.Count > 0)
        {
            var origins = http.RequestServices.GetRequiredService<WidgetOrigins>();
            if (await origins.AnyOrganizationAllowsAsync(origin, http.RequestAborted))
            {
                WriteAllowHeaders(http.Response, origin);
                http.Response.Headers.AccessControlAllowMethods = "GET, POST";
                http.Response.Headers.AccessControlAllowHeaders = "Content-Type, Last-Event-ID";
                http.Response.Headers.AccessControlMaxAge = "600";
            }
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        await next(http);
    });

    /// <summary>
    /// The chat page (<c>/widget/frame.html?orgKey=…</c>) may be framed only by the server itself and by the origins
    /// its organization allows, so a public widget key cannot put that organization's chat on someone else's site.
    /// </summary>
    public static IApplicationBuilder UseWidgetFrameAncestors(IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.Path.Equals("/widget/frame.html", StringComparison.OrdinalIgnoreCase))
        {
            var key = http.Request.Query["orgKey"].ToString();
            var allowed = key.Length is > 0 and <= 200
                ? (await http.RequestServices.GetRequiredService<SystemDb>().OrganizationByWidgetKeyAsync(key, http.RequestAborted))?.AllowedOrigins
                : null;
            http.Response.Headers.ContentSecurityPolicy = FrameAncestors(allowed ?? []);
        }
        await next(http);
    });

    public static string FrameAncestors(IEnumerable<string> allowed) =>
        string.Join(' ', new[] { "frame-ancestors", "'self'" }.Concat(allowed.Select(o => o.TrimEnd('/')).Where(IsSafeSource)));

    // Origins are validated when saved; this keeps a stray character from ever breaking the header.
    private static bool IsSafeSource(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && origin.All(c => c > ' ' && c != ';' && c != ',' && c != '\'' && c < 127);
}
