namespace Switchboard.Features.Organizations;

/// <summary>A tenant: the company that embeds the widget.</summary>
public sealed class Organization
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }

    /// <summary>URL-safe unique handle, for people and the CLI (<c>users create --org slug</c>).</summary>
    public required string Slug { get; set; }

    /// <summary>Public key the widget script carries; safe to publish, identifies the organization only.</summary>
    public string WidgetKey { get; set; } = NewWidgetKey();

    /// <summary>Origins allowed to embed the widget (CORS). Empty means none but the server's own pages.</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>IANA time zone for business hours and daily analytics.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Secret for HMAC-SHA256 customer identity verification (<c>userHash</c>); only the organization's admins can read it.</summary>
    public string IdentitySecret { get; set; } = NewSecret();

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    public static string NewWidgetKey() => "pk_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    public static string NewSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
