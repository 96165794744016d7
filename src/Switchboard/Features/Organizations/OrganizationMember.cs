using Switchboard.Features.Accounts;

namespace Switchboard.Features.Organizations;

/// <summary>A user's membership of an organization: role, and for agents their capacity, skills and availability.</summary>
public sealed class OrganizationMember
{
    public Guid OrganizationId { get; set; }
    public Guid UserId { get; set; }
    public string Role { get; set; } = OrgRoles.Member;
    public int MaxConcurrent { get; set; } = 3;
    public List<string> Skills { get; set; } = [];
    public string Availability { get; set; } = AgentAvailability.Offline;

    /// <summary>Escalated conversations this agent has now. Assignment raises it only while it is below the capacity, in the same statement (the database's guarantee against overbooking).</summary>
    public int ActiveConversations { get; set; }

    /// <summary>When this agent last got a conversation (round robin serves the longest-waiting agent first).</summary>
    public DateTimeOffset? LastAssignedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    public Organization? Organization { get; set; }
    public AppUser? User { get; set; }
}

public static class OrgRoles
{
    public const string Member = "member";
    public const string Agent = "agent";
    public const string Admin = "admin";
    public static readonly string[] All = [Member, Agent, Admin];

    /// <summary>member &lt; agent &lt; admin; unknown roles rank below everything.</summary>
    public static int Rank(string? role) => role switch { Admin => 3, Agent => 2, Member => 1, _ => 0 };
}

public static class AgentAvailability
{
    public const string Online = "online";
    public const string Away = "away";
    public const string Offline = "offline";
    public static readonly string[] All = [Online, Away, Offline];
}
