namespace Switchboard.Features.Analytics;

/// <summary>
/// A customer's rating of a resolved conversation (CSAT, 1-5, optional comment), once per session. Attributed
/// to the agent who resolved it, or to the AI (<see cref="AgentId"/> null) when no person was involved.
/// </summary>
public sealed class SessionCsat
{
    public const int MaxCommentLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid SessionId { get; set; }
    public int Score { get; set; }
    public string? Comment { get; set; }

    /// <summary>The agent who resolved the conversation; null: the AI handled it alone.</summary>
    public Guid? AgentId { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
