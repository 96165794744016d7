namespace Switchboard.Features.Escalation;

/// <summary>When to hand a conversation to a person, and to whom (seed table escalation_rules).</summary>
public sealed class EscalationRule
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string RuleName { get; set; }
    public List<string>? TriggerKeywords { get; set; } = [];
    public string? TriggerConditions { get; set; } = "{}";
    public string? AgentAssignmentLogic { get; set; } = "{}";
    public int? PriorityLevel { get; set; } = 1;
    public bool? IsActive { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}
