namespace Switchboard.Features.Analytics;

/// <summary>One agent's figures for one organization and day (seed table agent_analytics).</summary>
public sealed class AgentAnalytics
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid AgentId { get; set; }
    public Guid? OrganizationId { get; set; }
    public DateOnly Date { get; set; } = DateOnly.FromDateTime(DateTime.UtcNow);
    public int? ConversationsHandled { get; set; } = 0;
    public decimal? AvgResolutionTimeMinutes { get; set; } = 0;
    public decimal? CustomerSatisfactionScore { get; set; } = 0;
    public int? AiEscalationsReceived { get; set; } = 0;
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
