namespace Switchboard.Features.Escalation;

/// <summary>
/// One escalation of a session, from the moment it left the AI until an agent resolved it or handed it
/// back: why (the rule and the reason), how urgent, whom it may go to, and who has it. A session has at
/// most one open escalation (a unique index); the queue is the open escalations without an agent.
/// </summary>
public sealed class SessionEscalation
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid SessionId { get; set; }

    /// <summary>The rule that fired; null for a customer's own request (widget button) or an agent taking over.</summary>
    public Guid? RuleId { get; set; }

    /// <summary>The rule's name when it fired (rules can be renamed or deleted later).</summary>
    public string? RuleName { get; set; }

    public required string Reason { get; set; }

    /// <summary>rule | customer | agent (an agent took over): what started it. Analytics count "AI escalations" as rule and customer.</summary>
    public string Trigger { get; set; } = EscalationTriggers.Rule;

    /// <summary>1-5, the rule's priority_level: the queue serves 5 first, then the oldest.</summary>
    public int Priority { get; set; } = 1;

    /// <summary>agent_assignment_logic of the rule when it fired (JSON).</summary>
    public string AssignmentLogic { get; set; } = "{}";

    public DateTimeOffset EscalatedAt { get; set; } = DateTimeOffset.UtcNow;
    public Guid? AssignedAgentId { get; set; }
    public DateTimeOffset? AssignedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>resolved | handed_back, once ended.</summary>
    public string? Outcome { get; set; }

    public Guid? EndedBy { get; set; }
}

/// <summary>One agent's turn with an escalated session: who, since when, until when and why it ended (the audit trail of assignment).</summary>
public sealed class SessionAssignment
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid SessionId { get; set; }
    public Guid EscalationId { get; set; }
    public Guid AgentId { get; set; }

    /// <summary>auto (a strategy chose the agent) | taken (the agent took it) | manual (an admin assigned it).</summary>
    public required string How { get; set; }

    public Guid? AssignedBy { get; set; }
    public DateTimeOffset AssignedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? ReleasedAt { get; set; }

    /// <summary>resolved | handed_back | reassigned | unavailable, once released.</summary>
    public string? ReleaseReason { get; set; }
}

public static class EscalationOutcomes
{
    public const string Resolved = "resolved";
    public const string HandedBack = "handed_back";
}

public static class AssignmentHow
{
    public const string Auto = "auto";
    public const string Taken = "taken";
    public const string Manual = "manual";
}
