using Switchboard.Features.Organizations;

namespace Switchboard.Tenancy;

/// <summary>
/// Who is acting in this request, filled once per request. Both walls read it: EF Core query
/// filters (every provider) and the PostgreSQL session settings that row-level security uses.
/// </summary>
public sealed class CurrentPrincipal
{
    private Dictionary<Guid, string> _roles = [];

    /// <summary>The signed-in user, if any.</summary>
    public Guid? UserId { get; private set; }

    /// <summary>The widget session token presented by an anonymous or identified customer, if any.</summary>
    public string? SessionToken { get; set; }

    public bool IsPlatformAdmin { get; private set; }

    /// <summary>
    /// Trusted server work (migrations, demo seeding, background jobs) that the application wall
    /// has already authorized. Never set from anything a client sends.
    /// </summary>
    public bool IsSystem { get; private init; }

    public bool IsAuthenticated => UserId is not null;

    public IReadOnlyDictionary<Guid, string> Roles => _roles;

    public static CurrentPrincipal System() => new() { IsSystem = true };

    public void SignIn(Guid userId, bool isPlatformAdmin, IEnumerable<KeyValuePair<Guid, string>> roles)
    {
        UserId = userId;
        IsPlatformAdmin = isPlatformAdmin;
        _roles = roles.ToDictionary();
    }

    public string? RoleIn(Guid organizationId) => _roles.GetValueOrDefault(organizationId);

    public bool HasRole(Guid organizationId, string minimumRole) =>
        OrgRoles.Rank(RoleIn(organizationId)) >= OrgRoles.Rank(minimumRole);

    /// <summary>Organizations in which the user holds at least <paramref name="minimumRole"/>.</summary>
    public List<Guid> OrganizationsWithRole(string minimumRole) =>
        [.. _roles.Where(r => OrgRoles.Rank(r.Value) >= OrgRoles.Rank(minimumRole)).Select(r => r.Key)];
}
