using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

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

    /// <summary>
    /// SQL for the DefaultEscalationRules migrations: the defaults for every organization that has no rule at all.
    /// It runs once per database, when the defaults first ship.
    /// </summary>
    public static string InsertForOrganizationsWithoutRulesSql(bool postgres)
    {
        var rows = string.Join(" UNION ALL ", Definitions.Select((d, i) =>
            $"SELECT {Quote(d.Name)} AS name, {Quote(d.Conditions)} AS conditions, {Quote(d.Assignment)} AS assignment, {d.Priority} AS priority, {i} AS n"));
        const string columns = "id, organization_id, rule_name, trigger_keywords, trigger_conditions, agent_assignment_logic, priority_level, is_active, created_at, updated_at";
        const string missing = "NOT EXISTS (SELECT 1 FROM escalation_rules r WHERE r.organization_id = o.id)";
        if (postgres)
        {
            return $"""
                INSERT INTO escalation_rules ({columns})
                SELECT gen_random_uuid(), o.id, d.name, ARRAY[]::text[], d.conditions::jsonb, d.assignment::jsonb, d.priority, true,
                       now() + d.n * interval '1 millisecond', now()
                FROM organizations o CROSS JOIN ({rows}) d
                WHERE {missing};
                """;
        }
        // SQLite: ids as EF stores Guids (upper-case text), times as DateTimeOffsetToBinaryConverter stores them.
        var converter = new DateTimeOffsetToBinaryConverter();
        var now = DateTimeOffset.UtcNow;
        var created = string.Join(" ", Definitions.Select((_, i) => $"WHEN {i} THEN {(long)converter.ConvertToProvider(now.AddMilliseconds(i))!}"));
        return $"""
            INSERT INTO escalation_rules ({columns})
            SELECT upper(substr(x.h, 1, 8) || '-' || substr(x.h, 9, 4) || '-' || substr(x.h, 13, 4) || '-' || substr(x.h, 17, 4) || '-' || substr(x.h, 21, 12)),
                   x.org_id, x.name, '[]', x.conditions, x.assignment, x.priority, 1, CASE x.n {created} END, {(long)converter.ConvertToProvider(now)!}
            FROM (SELECT o.id AS org_id, d.*, hex(randomblob(16)) AS h FROM organizations o CROSS JOIN ({rows}) d WHERE {missing}) x;
            """;
    }

    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
