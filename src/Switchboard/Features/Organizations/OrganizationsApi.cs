using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Tenancy;

namespace Switchboard.Features.Organizations;

public sealed record OrganizationResponse(Guid Id, string Name, string Slug, string WidgetKey, List<string> AllowedOrigins, string TimeZone);

/// <summary>The key the host site's backend uses to sign customer identities: userHash = hex(HMAC-SHA256(secret, externalId)).</summary>
public sealed record IdentitySecretResponse(string IdentitySecret);

public sealed record UpdateOrganizationRequest(string? Name, List<string>? AllowedOrigins, string? TimeZone);

/// <summary>An organization's own settings. The identity secret is returned only by its own admin-only route.</summary>
public static class OrganizationsApi
{
    public static IEndpointRouteBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/orgs/{orgId}").WithTags("Organizations").RequireOrgRole(OrgRoles.Member).MapGet("/", Get);
        var admin = app.MapGroup("/api/orgs/{orgId}").WithTags("Organizations").RequireOrgRole(OrgRoles.Admin);
        admin.MapPatch("/", Update);
        admin.MapGet("/identity-secret", IdentitySecret);
        admin.MapPost("/identity-secret/rotate", RotateIdentitySecret);
        return app;
    }

    private static async Task<Ok<OrganizationResponse>> Get(HttpContext http, AppDbContext db, CancellationToken ct)
    {
        return TypedResults.Ok(await ReadAsync(db, http.OrgId(), ct));
    }

    private static async Task<Results<Ok<OrganizationResponse>, ValidationProblem>> Update(
        HttpContext http, UpdateOrganizationRequest request, AppDbContext db, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Name is not null && (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)) errors["name"] = ["The name must be 1-200 characters."];
        if (request.TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(request.TimeZone, out _)) errors["timeZone"] = [$"'{request.TimeZone}' is not a known IANA time zone (e.g. Europe/Berlin)."];
        if (request.AllowedOrigins?.FirstOrDefault(o => !IsOrigin(o)) is { } bad) errors["allowedOrigins"] = [$"'{bad}' is not an origin like https://www.example.com (scheme, host, optional port, no path)."];
        if (errors.Count > 0) return Problems.Invalid(errors);

        // Column-wise: the request path may not read the identity secret, so no whole-row load.
        var orgId = http.OrgId();
        var name = request.Name?.Trim();
        List<string>? origins = request.AllowedOrigins is null ? null : [.. request.AllowedOrigins.Select(o => o.TrimEnd('/')).Distinct()];
        await db.Organizations.Where(o => o.Id == orgId).ExecuteUpdateAsync(o => o
            .SetProperty(x => x.Name, x => name ?? x.Name)
            .SetProperty(x => x.TimeZone, x => request.TimeZone ?? x.TimeZone)
            .SetProperty(x => x.AllowedOrigins, x => origins ?? x.AllowedOrigins)
            .SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), ct);
        return TypedResults.Ok(await ReadAsync(db, orgId, ct));
    }

    private static Task<OrganizationResponse> ReadAsync(AppDbContext db, Guid orgId, CancellationToken ct) =>
        db.Organizations.AsNoTracking().Where(o => o.Id == orgId)
            .Select(o => new OrganizationResponse(o.Id, o.Name, o.Slug, o.WidgetKey, o.AllowedOrigins, o.TimeZone))
            .SingleAsync(ct);

    // The secret is read and written on the trusted path only: the request-path role cannot read it.
    private static async Task<Ok<IdentitySecretResponse>> IdentitySecret(HttpContext http, SystemDb systemDb, CancellationToken ct)
    {
        var orgId = http.OrgId();
        await using var db = systemDb.CreateContext();
        return TypedResults.Ok(new IdentitySecretResponse(await db.Organizations.Where(o => o.Id == orgId).Select(o => o.IdentitySecret).SingleAsync(ct)));
    }

    private static async Task<Ok<IdentitySecretResponse>> RotateIdentitySecret(HttpContext http, SystemDb systemDb, CancellationToken ct)
    {
        var orgId = http.OrgId();
        var secret = Organization.NewSecret();
        await using var db = systemDb.CreateContext();
        await db.Organizations.Where(o => o.Id == orgId).ExecuteUpdateAsync(o => o.SetProperty(x => x.IdentitySecret, secret).SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), ct);
        return TypedResults.Ok(new IdentitySecretResponse(secret));
    }

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query);
}
