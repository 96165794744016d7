using Microsoft.AspNetCore.Identity;

namespace Switchboard.Features.Accounts;

/// <summary>A person who signs in: agent, admin, platform admin or identified customer (auth.users on PostgreSQL).</summary>
public sealed class AppUser : IdentityUser<Guid>
{
    public string DisplayName { get; set; } = "";

    /// <summary>Platform admins manage global knowledge (organization_id IS NULL).</summary>
    public bool IsPlatformAdmin { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
