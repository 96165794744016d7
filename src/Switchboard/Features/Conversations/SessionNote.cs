namespace Switchboard.Features.Conversations;

/// <summary>An agent's internal note on a session: for the team only, never part of the customer's conversation.</summary>
public sealed class SessionNote
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid SessionId { get; set; }
    public Guid AgentId { get; set; }
    public required string Content { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
