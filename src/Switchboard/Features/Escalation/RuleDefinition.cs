using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Features.Escalation;

/// <summary>Business hours of an <c>outside_business_hours</c> condition: [Start, End) on Days, in the organization's time zone.</summary>
public sealed record BusinessHours(IReadOnlySet<DayOfWeek> Days, TimeOnly Start, TimeOnly End)
{
    public static readonly BusinessHours Default = new(
        new HashSet<DayOfWeek> { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday },
        new TimeOnly(9, 0), new TimeOnly(17, 0));

    public static readonly IReadOnlyDictionary<string, DayOfWeek> DayNames = new Dictionary<string, DayOfWeek>(StringComparer.Ordinal)
    {
        ["mon"] = DayOfWeek.Monday, ["tue"] = DayOfWeek.Tuesday, ["wed"] = DayOfWeek.Wednesday, ["thu"] = DayOfWeek.Thursday,
        ["fri"] = DayOfWeek.Friday, ["sat"] = DayOfWeek.Saturday, ["sun"] = DayOfWeek.Sunday,
    };

    public bool Contains(DateTimeOffset now, TimeZoneInfo zone)
    {
        // ConvertTime applies the zone's offset at that instant, so DST changes need no special case.
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        return Days.Contains(local.DayOfWeek) && time >= Start && time < End;
    }

    public override string ToString()
    {
        var days = string.Join(",", DayNames.Where(d => Days.Contains(d.Value)).Select(d => d.Key));
        return $"{days} {Start:HH\\:mm}-{End:HH\\:mm}";
    }
}

/// <summary>The typed <c>trigger_conditions</c> of a rule (docs/escalation.md). Null means "not a trigger of this rule".</summary>
public sealed record TriggerConditions(
    double? ConfidenceBelow = null,
    int? ConsecutiveLowConfidence = null,
    double? HumanRequestThreshold = null,
    double? FrustrationAtLeast = null,
    int? AiTurnsAtLeast = null,
    IReadOnlyDictionary<string, JsonNode?>? CustomerContext = null,
    BusinessHours? OutsideBusinessHours = null)
{
    /// <summary>The streak threshold when a rule names consecutive_low_confidence without confidence_below.</summary>
    public const double DefaultStreakThreshold = 0.5;

    /// <summary><c>explicit_human_request: true</c>; equals HumanRequestDetector.DefaultThreshold (contract).</summary>
    public const double DefaultHumanRequestThreshold = Detectors.HumanRequestDetector.DefaultThreshold;

    public static readonly TriggerConditions None = new();

    public bool IsEmpty => this == None || (ConfidenceBelow is null && ConsecutiveLowConfidence is null && HumanRequestThreshold is null
        && FrustrationAtLeast is null && AiTurnsAtLeast is null && CustomerContext is null && OutsideBusinessHours is null);
}

public enum AssignmentStrategy { RoundRobin, LeastBusy, Skills, SpecificAgents }

public enum AssignmentFallback { Queue, AnyAgent }

/// <summary>The typed <c>agent_assignment_logic</c> of a rule.</summary>
public sealed record AssignmentLogic(
    AssignmentStrategy Strategy = AssignmentStrategy.RoundRobin,
    IReadOnlyList<Guid>? AgentIds = null,
    IReadOnlyList<string>? RequiredSkills = null,
    int? MaxConcurrent = null,
    AssignmentFallback Fallback = AssignmentFallback.Queue)
{
    public static readonly AssignmentLogic Default = new();

    public static readonly IReadOnlyDictionary<string, AssignmentStrategy> StrategyNames = new Dictionary<string, AssignmentStrategy>(StringComparer.Ordinal)
    {
        ["round_robin"] = AssignmentStrategy.RoundRobin, ["least_busy"] = AssignmentStrategy.LeastBusy,
        ["skills"] = AssignmentStrategy.Skills, ["specific_agents"] = AssignmentStrategy.SpecificAgents,
    };

    public static readonly IReadOnlyDictionary<string, AssignmentFallback> FallbackNames = new Dictionary<string, AssignmentFallback>(StringComparer.Ordinal)
    {
        ["queue"] = AssignmentFallback.Queue, ["any_agent"] = AssignmentFallback.AnyAgent,
    };
}

/// <summary>
/// A rule's stored JSON read into types: the one parser that validation (EscalationRuleValidator) and the
/// engine use. It expects JSON that passed the schema; anything else is a <see cref="FormatException"/>.
/// </summary>
public sealed record EscalationRuleDefinition(IReadOnlyList<string> Keywords, TriggerConditions Conditions, AssignmentLogic Assignment)
{
    public static EscalationRuleDefinition Parse(EscalationRule rule) =>
        new(rule.TriggerKeywords ?? [], ParseConditions(rule.TriggerConditions), ParseAssignment(rule.AgentAssignmentLogic));

    public static bool TryParse(EscalationRule rule, out EscalationRuleDefinition? definition)
    {
        try
        {
            definition = Parse(rule);
            return true;
        }
        catch (Exception e) when (IsParseError(e))
        {
            definition = null;
            return false;
        }
    }

    /// <summary>
    /// What parsing stored JSON throws when it is not a valid definition: bad JSON, wrong types, an unknown strategy or
    /// fallback name, a missing value. Stored rules are validated on save; these guard rows written some other way.
    /// </summary>
    public static bool IsParseError(Exception e) =>
        e is FormatException or JsonException or InvalidOperationException or ArgumentException or KeyNotFoundException or NullReferenceException;

    /// <summary>True when the rule names at least one trigger (a rule without one is invalid and never fires).</summary>
    public bool HasTrigger => Keywords.Count > 0 || !Conditions.IsEmpty;

    public static TriggerConditions ParseConditions(string? json)
    {
        var o = ParseObject(json, "triggerConditions");
        double? humanRequest = o["explicit_human_request"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.True => TriggerConditions.DefaultHumanRequestThreshold,
            JsonValue v when v.GetValueKind() == JsonValueKind.False => null,
            var v => Number(v, "explicit_human_request"),
        };
        BusinessHours? hours = o["outside_business_hours"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.True => BusinessHours.Default,
            JsonObject h => new BusinessHours(
                h["days"]!.AsArray().Select(d => BusinessHours.DayNames[d!.GetValue<string>()]).ToHashSet(),
                Clock(h["start"]), Clock(h["end"])),
            _ => throw new FormatException("outside_business_hours must be true or {days, start, end}."),
        };
        Dictionary<string, JsonNode?>? context = o["customer_context"] is JsonObject c
            ? c.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal)
            : null;
        return new TriggerConditions(
            OptionalNumber(o, "confidence_below"), OptionalInt(o, "consecutive_low_confidence"), humanRequest,
            OptionalNumber(o, "frustration_at_least"), OptionalInt(o, "ai_turns_at_least"), context, hours);
    }

    public static AssignmentLogic ParseAssignment(string? json)
    {
        var o = ParseObject(json, "agentAssignmentLogic");
        return new AssignmentLogic(
            o["strategy"] is { } s ? AssignmentLogic.StrategyNames[s.GetValue<string>()] : AssignmentStrategy.RoundRobin,
            o["agent_ids"] is JsonArray ids ? [.. ids.Select(i => Guid.Parse(i!.GetValue<string>()))] : null,
            o["required_skills"] is JsonArray skills ? [.. skills.Select(i => i!.GetValue<string>().Trim())] : null,
            OptionalInt(o, "max_concurrent"),
            o["fallback"] is { } f ? AssignmentLogic.FallbackNames[f.GetValue<string>()] : AssignmentFallback.Queue);
    }

    private static JsonObject ParseObject(string? json, string what) =>
        string.IsNullOrWhiteSpace(json) ? [] : JsonNode.Parse(json) as JsonObject ?? throw new FormatException($"{what} must be a JSON object.");

    private static double? OptionalNumber(JsonObject o, string key) => o[key] is { } v ? Number(v, key) : null;

    private static int? OptionalInt(JsonObject o, string key)
    {
        if (o[key] is not { } v) return null;
        var d = Number(v, key);
        return d == Math.Floor(d) ? (int)d : throw new FormatException($"{key} must be an integer.");
    }

    private static double Number(JsonNode v, string key) =>
        v is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : throw new FormatException($"{key} must be a number.");

    private static TimeOnly Clock(JsonNode? v) => TimeOnly.ParseExact(v!.GetValue<string>(), "HH:mm", CultureInfo.InvariantCulture);
}
