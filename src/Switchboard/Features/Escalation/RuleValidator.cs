using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Escalation;

/// <summary>A rule as it would be stored (camelCase, as the API takes it), before it is.</summary>
public sealed record EscalationRuleDraft(string? RuleName, List<string>? TriggerKeywords, string? TriggerConditions, string? AgentAssignmentLogic,
    int? PriorityLevel, bool? IsActive)
{
    public static EscalationRuleDraft From(EscalationRule r) =>
        new(r.RuleName, r.TriggerKeywords, r.TriggerConditions, r.AgentAssignmentLogic, r.PriorityLevel, r.IsActive);

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["ruleName"] = RuleName,
            ["triggerKeywords"] = new JsonArray([.. (TriggerKeywords ?? []).Select(k => (JsonNode?)JsonValue.Create(k))]),
            ["triggerConditions"] = JsonNode.Parse(string.IsNullOrWhiteSpace(TriggerConditions) ? "{}" : TriggerConditions),
            ["agentAssignmentLogic"] = JsonNode.Parse(string.IsNullOrWhiteSpace(AgentAssignmentLogic) ? "{}" : AgentAssignmentLogic),
            ["priorityLevel"] = PriorityLevel ?? 1,
            ["isActive"] = IsActive ?? true,
        };
        return o;
    }
}

/// <summary>
/// Validates a rule against the published JSON schema (escalation-rule.schema.json, JsonSchema.Net), then the
/// rules a schema cannot say. Errors are keyed by the offending key (<c>triggerConditions.confidence_below</c>) and
/// say what is allowed. The API and the console page both call it, so they show the same messages.
/// </summary>
public static class EscalationRuleValidator
{
    public const string SchemaResource = "Switchboard.Features.Escalation.escalation-rule.schema.json";

    public static string SchemaText { get; } = ReadSchema();

    private static readonly JsonSchema Schema = JsonSchema.FromText(SchemaText);

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    /// <summary>What each key allows, in the words of docs/escalation.md.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["ruleName"] = "ruleName is required: 1-200 characters.",
        ["triggerKeywords"] = "triggerKeywords must be a list of at most 50 words or phrases, each 1-100 characters.",
        ["triggerConditions"] = "triggerConditions must be a JSON object with these keys: confidence_below, consecutive_low_confidence, explicit_human_request, frustration_at_least, ai_turns_at_least, customer_context, outside_business_hours.",
        ["triggerConditions.confidence_below"] = "confidence_below must be a number from 0 to 1.",
        ["triggerConditions.consecutive_low_confidence"] = "consecutive_low_confidence must be an integer from 1 to 20.",
        ["triggerConditions.explicit_human_request"] = "explicit_human_request must be true, false or a threshold number from 0 to 1.",
        ["triggerConditions.frustration_at_least"] = "frustration_at_least must be a number from 0 to 1.",
        ["triggerConditions.ai_turns_at_least"] = "ai_turns_at_least must be an integer of at least 1.",
        ["triggerConditions.customer_context"] = "customer_context must be a non-empty object of key -> string, number, boolean or a non-empty array of those, e.g. {\"plan\": \"enterprise\"}.",
        ["triggerConditions.outside_business_hours"] = "outside_business_hours must be true (Mon-Fri 09:00-17:00) or {\"days\": [\"mon\"..\"sun\"], \"start\": \"HH:mm\", \"end\": \"HH:mm\"} with end after start.",
        ["agentAssignmentLogic"] = "agentAssignmentLogic must be a JSON object with these keys: strategy, agent_ids, required_skills, max_concurrent, fallback.",
        ["agentAssignmentLogic.strategy"] = "strategy must be one of round_robin, least_busy, skills, specific_agents.",
        ["agentAssignmentLogic.agent_ids"] = "agent_ids must be a non-empty list of distinct user ids (uuids) of this organization's agents.",
        ["agentAssignmentLogic.required_skills"] = "required_skills must be a non-empty list of skills, each 1-100 characters.",
        ["agentAssignmentLogic.max_concurrent"] = "max_concurrent must be an integer from 1 to 100.",
        ["agentAssignmentLogic.fallback"] = "fallback must be queue or any_agent.",
        ["priorityLevel"] = "priorityLevel must be an integer from 1 to 5 (5 is evaluated first).",
        ["isActive"] = "isActive must be true or false.",
    };

    /// <summary>Keys a JSON object may have, for "unknown key" messages.</summary>
    private static readonly Dictionary<string, string[]> Keys = new(StringComparer.Ordinal)
    {
        ["triggerConditions"] = ["confidence_below", "consecutive_low_confidence", "explicit_human_request", "frustration_at_least", "ai_turns_at_least", "customer_context", "outside_business_hours"],
        ["agentAssignmentLogic"] = ["strategy", "agent_ids", "required_skills", "max_concurrent", "fallback"],
    };

    /// <summary>Trims keywords and drops case-insensitive duplicates, as they are stored.</summary>
    public static List<string> NormalizeKeywords(IEnumerable<string?> keywords) =>
        [.. keywords.Select(k => (k ?? "").Trim()).Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>Schema and cross-field checks that need no database. Empty when valid.</summary>
    public static Dictionary<string, string[]> Validate(EscalationRuleDraft draft)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            if (!list.Contains(message)) list.Add(message);
        }

        JsonObject json;
        try
        {
            json = draft.ToJson();
        }
        catch (JsonException)
        {
            if (!IsJson(draft.TriggerConditions)) Add("triggerConditions", Allowed["triggerConditions"]);
            if (!IsJson(draft.AgentAssignmentLogic)) Add("agentAssignmentLogic", Allowed["agentAssignmentLogic"]);
            return Freeze(errors);
        }

        var result = Schema.Evaluate(JsonSerializer.SerializeToElement(json), Options);
        if (!result.IsValid)
        {
            var fields = (result.Details ?? []).Where(d => !d.IsValid && d.Errors is { Count: > 0 })
                .Select(d => FieldOf(d.InstanceLocation.ToString(), json)).Distinct().ToList();
            foreach (var (field, message) in fields)
                Add(field, message);
        }
        if (errors.Count > 0) return Freeze(errors);

        var definition = EscalationRuleDefinition.Parse(new EscalationRule
        {
            RuleName = draft.RuleName ?? "", TriggerKeywords = draft.TriggerKeywords, TriggerConditions = draft.TriggerConditions,
            AgentAssignmentLogic = draft.AgentAssignmentLogic,
        });
        if (definition.Keywords.FirstOrDefault(k => KeywordMatcher.Tokens(k).Count == 0) is { } noWord)
            Add("triggerKeywords", $"The keyword \"{noWord}\" has no letter or digit, so it can never match a whole word.");
        if (!definition.HasTrigger)
            Add("triggerKeywords", "A rule needs at least one trigger: a keyword or a condition in triggerConditions (see docs/escalation.md).");
        if (definition.Conditions.OutsideBusinessHours is { } hours && hours.End <= hours.Start)
            Add("triggerConditions.outside_business_hours", $"outside_business_hours: end ({hours.End:HH\\:mm}) must be after start ({hours.Start:HH\\:mm}); overnight ranges are not supported.");
        var logic = definition.Assignment;
        if (logic.Strategy == AssignmentStrategy.SpecificAgents && logic.AgentIds is not { Count: > 0 })
            Add("agentAssignmentLogic.agent_ids", "agent_ids is required with strategy specific_agents: a non-empty list of this organization's agents' user ids.");
        if (logic.Strategy != AssignmentStrategy.SpecificAgents && logic.AgentIds is not null)
            Add("agentAssignmentLogic.agent_ids", "agent_ids is only used with strategy specific_agents; remove it or set \"strategy\": \"specific_agents\".");
        if (logic.Strategy == AssignmentStrategy.Skills && logic.RequiredSkills is not { Count: > 0 })
            Add("agentAssignmentLogic.required_skills", "required_skills is required with strategy skills: a non-empty list of skills, e.g. [\"billing\"].");
        if (logic.Strategy != AssignmentStrategy.Skills && logic.RequiredSkills is not null)
            Add("agentAssignmentLogic.required_skills", "required_skills is only used with strategy skills; remove it or set \"strategy\": \"skills\".");
        if (logic.RequiredSkills?.Any(string.IsNullOrWhiteSpace) == true)
            Add("agentAssignmentLogic.required_skills", Allowed["agentAssignmentLogic.required_skills"]);
        return Freeze(errors);
    }

    /// <summary><see cref="Validate(EscalationRuleDraft)"/>, then that every agent_ids entry is an agent (or admin) of the organization.</summary>
    public static async Task<Dictionary<string, string[]>> ValidateAsync(EscalationRuleDraft draft, Guid organizationId, AppDbContext db, CancellationToken ct)
    {
        var errors = Validate(draft);
        if (errors.Count > 0) return errors;
        var ids = EscalationRuleDefinition.ParseAssignment(draft.AgentAssignmentLogic).AgentIds;
        if (ids is not { Count: > 0 }) return errors;
        var agents = await db.OrganizationMembers.AsNoTracking()
            .Where(m => m.OrganizationId == organizationId && ids.Contains(m.UserId) && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin))
            .Select(m => m.UserId).ToListAsync(ct);
        var strangers = ids.Except(agents).ToList();
        if (strangers.Count > 0)
            errors["agentAssignmentLogic.agent_ids"] = [$"agent_ids: {string.Join(", ", strangers)} {(strangers.Count == 1 ? "is not an agent" : "are not agents")} of this organization. Use the user ids of its agents (GET /api/orgs/{{orgId}}/members)."];
        return errors;
    }

    /// <summary>The offending key for a schema error at a JSON pointer, and the message saying what it allows.</summary>
    private static (string Field, string Message) FieldOf(string pointer, JsonObject json)
    {
        var segments = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToList();
        if (segments.Count == 0) return ("body", "The rule must be a JSON object.");
        if (segments.Count >= 2 && Keys.TryGetValue(segments[0], out var keys) && !keys.Contains(segments[1]))
            return ($"{segments[0]}.{segments[1]}", $"Unknown key '{segments[1]}' in {segments[0]}. Allowed keys: {string.Join(", ", keys)} (see docs/escalation.md).");
        // The deepest known key: errors inside customer_context or outside_business_hours name that key.
        for (var n = Math.Min(segments.Count, 2); n > 0; n--)
        {
            var field = string.Join('.', segments.Take(n));
            if (Allowed.TryGetValue(field, out var message))
            {
                var value = Value(json, segments.Take(n));
                return (field, value is null ? message : $"{message} Got {value}.");
            }
        }
        return (string.Join('.', segments), "Not allowed here (see GET /api/escalation-rules/schema).");
    }

    private static string? Value(JsonObject json, IEnumerable<string> path)
    {
        JsonNode? node = json;
        foreach (var segment in path)
            node = node is JsonObject o ? o[segment] : node is JsonArray a && int.TryParse(segment, out var i) && i < a.Count ? a[i] : null;
        if (node is null) return null;
        var text = node.ToJsonString();
        return text.Length > 80 ? text[..80] + "…" : text;
    }

    private static bool IsJson(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return true;
        try { return JsonNode.Parse(text) is JsonObject; }
        catch (JsonException) { return false; }
    }

    private static Dictionary<string, string[]> Freeze(Dictionary<string, List<string>> errors)
    {
        // An error inside a key (outside_business_hours.start) and the key itself: keep the key once.
        return errors.Where(e => !errors.Keys.Any(k => k.StartsWith(e.Key + ".", StringComparison.Ordinal)))
            .ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }

    private static string ReadSchema()
    {
        using var stream = typeof(EscalationRuleValidator).Assembly.GetManifestResourceStream(SchemaResource)
            ?? throw new InvalidOperationException($"The embedded resource {SchemaResource} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
