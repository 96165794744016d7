namespace Switchboard.Features.Escalation;

/// <summary>
/// The rules every organization starts with (docs/escalation.md lists them); its admins can edit, disable or delete
/// them. Added in the same SaveChanges that creates the organization, and by the DefaultEscalationRules migration for
/// organizations that had no rule.
/// </summary>
public static class DefaultEscalationRules
{
    public const string HumanRequest = "Customer asks for a person";
    public const string Frustrated = "Frustrated customer";
    public const string AiKeepsMissing = "AI keeps missing";

    /// <summary>Name, conditions, assignment logic, priority: the migration writes the same values.</summary>
    public static readonly (string Name, string Conditions, string Assignment, int Priority)[] Definitions =
    [
        (HumanRequest, """{"explicit_human_request":true}""", """{"strategy":"round_robin","fallback":"any_agent"}""", 5),
        (Frustrated, """{"frustration_at_least":0.7}""", """{"strategy":"round_robin","fallback":"any_agent"}""", 4),
        (AiKeepsMissing, """{"consecutive_low_confidence":2,"confidence_below":0.35}""", """{"strategy":"least_busy","fallback":"queue"}""", 3),
    ];

    public static List<EscalationRule> For(Guid organizationId)
    {
        var now = DateTimeOffset.UtcNow;
        // created_at breaks priority ties, so each default gets its own instant in list order.
        return [.. Definitions.Select((d, i) => new EscalationRule
        {
            OrganizationId = organizationId, RuleName = d.Name, TriggerKeywords = [], TriggerConditions = d.Conditions,
            AgentAssignmentLogic = d.Assignment, PriorityLevel = d.Priority, IsActive = true, CreatedAt = now.AddMilliseconds(i), UpdatedAt = now,
        })];
    }
}
