using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Features.Escalation;

/// <summary>What the engine knows about a customer message when it evaluates the rules (issue 5 contract).</summary>
public sealed record EscalationSignals(
    string Message,
    double? Confidence,
    IReadOnlyList<double> PreviousConfidences,
    double HumanRequestScore,
    double FrustrationScore,
    int AiTurns,
    JsonObject CustomerContext,
    DateTimeOffset Now,
    TimeZoneInfo TimeZone);

/// <summary>The rule that fired and why, for people: <c>keyword "refund"; confidence 0.31 &lt; 0.5</c>.</summary>
public sealed record RuleMatch(EscalationRule Rule, string Reason);

/// <summary>
/// Evaluates an organization's rules against one message: active rules only, highest priority_level first, ties by
/// older created_at; the first rule whose every trigger holds wins. Rules whose stored JSON no longer parses never fire.
/// </summary>
public static class RuleEvaluator
{
    public static RuleMatch? Evaluate(IEnumerable<EscalationRule> rules, EscalationSignals signals)
    {
        var tokens = KeywordMatcher.Tokens(signals.Message);
        foreach (var rule in rules.Where(r => r.IsActive == true)
                     .OrderByDescending(r => r.PriorityLevel ?? 1).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id))
        {
            if (!EscalationRuleDefinition.TryParse(rule, out var definition) || !definition!.HasTrigger) continue;
            if (Holds(definition, signals, tokens) is { } reasons) return new RuleMatch(rule, string.Join("; ", reasons));
        }
        return null;
    }

    /// <summary>The reasons when every trigger of the rule holds; null when one does not.</summary>
    internal static List<string>? Holds(EscalationRuleDefinition rule, EscalationSignals s, IReadOnlyList<string> tokens)
    {
        var reasons = new List<string>();
        if (rule.Keywords.Count > 0)
        {
            var keyword = rule.Keywords.FirstOrDefault(k => KeywordMatcher.Contains(tokens, KeywordMatcher.Tokens(k)));
            if (keyword is null) return null;
            reasons.Add($"keyword \"{keyword}\"");
        }

        var c = rule.Conditions;
        if (c.ConsecutiveLowConfidence is { } n)
        {
            var threshold = c.ConfidenceBelow ?? TriggerConditions.DefaultStreakThreshold;
            if (s.Confidence is not { } current) return null;
            var streak = s.PreviousConfidences.Append(current).TakeLast(n).ToList();
            if (streak.Count < n || streak.Any(x => x >= threshold)) return null;
            reasons.Add($"{n} consecutive low-confidence answers ({string.Join(", ", streak.Select(F))} < {F(threshold)})");
        }
        else if (c.ConfidenceBelow is { } below)
        {
            if (s.Confidence is not { } confidence || confidence >= below) return null;
            reasons.Add($"confidence {F(confidence)} < {F(below)}");
        }
        if (c.HumanRequestThreshold is { } human)
        {
            if (s.HumanRequestScore < human) return null;
            reasons.Add($"asked for a person (score {F(s.HumanRequestScore)} >= {F(human)})");
        }
        if (c.FrustrationAtLeast is { } frustration)
        {
            if (s.FrustrationScore < frustration) return null;
            reasons.Add($"frustration {F(s.FrustrationScore)} >= {F(frustration)}");
        }
        if (c.AiTurnsAtLeast is { } turns)
        {
            if (s.AiTurns < turns) return null;
            reasons.Add($"{s.AiTurns} AI answers >= {turns}");
        }
        if (c.CustomerContext is { } context)
        {
            foreach (var (key, expected) in context)
            {
                if (!s.CustomerContext.TryGetPropertyValue(key, out var actual) || !ContextMatches(expected, actual)) return null;
                reasons.Add($"customer {key} = {actual!.ToJsonString()}");
            }
        }
        if (c.OutsideBusinessHours is { } hours)
        {
            if (hours.Contains(s.Now, s.TimeZone)) return null;
            var local = TimeZoneInfo.ConvertTime(s.Now, s.TimeZone);
            reasons.Add($"outside business hours ({local.ToString("ddd HH:mm", CultureInfo.InvariantCulture)} {s.TimeZone.Id}; open {hours})");
        }
        return reasons;
    }

    /// <summary>Rule value (scalar or array = any of) against the session's value (scalar or array = any element).</summary>
    internal static bool ContextMatches(JsonNode? expected, JsonNode? actual)
    {
        if (expected is JsonArray options) return options.Any(o => ContextMatches(o, actual));
        if (actual is JsonArray values) return values.Any(v => ContextMatches(expected, v));
        if (expected is not JsonValue e || actual is not JsonValue a) return false;
        return (e.GetValueKind(), a.GetValueKind()) switch
        {
            (JsonValueKind.String, JsonValueKind.String) => string.Equals(e.GetValue<string>(), a.GetValue<string>(), StringComparison.OrdinalIgnoreCase),
            (JsonValueKind.Number, JsonValueKind.Number) => e.GetValue<double>() == a.GetValue<double>(),
            (JsonValueKind.True or JsonValueKind.False, var kind) => kind == e.GetValueKind(),
            _ => false,
        };
    }

    private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>Whole-word, case- and accent-insensitive keyword and phrase matching.</summary>
public static class KeywordMatcher
{
    /// <summary>Lower-case tokens of letters and digits with accents removed: "Can I TALK to a  person?" → can, i, talk, to, a, person.</summary>
    public static IReadOnlyList<string> Tokens(string? text)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(text)) return tokens;
        var current = new StringBuilder();
        foreach (var ch in text.Normalize(NormalizationForm.FormD))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(ch);
            if (category == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsLetterOrDigit(ch))
            {
                current.Append(char.ToLowerInvariant(ch));
            }
            else if (current.Length > 0)
            {
                tokens.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return tokens;
    }

    /// <summary>True when <paramref name="phrase"/> occurs as consecutive tokens of <paramref name="message"/>.</summary>
    public static bool Contains(IReadOnlyList<string> message, IReadOnlyList<string> phrase)
    {
        if (phrase.Count == 0 || phrase.Count > message.Count) return false;
        for (var start = 0; start + phrase.Count <= message.Count; start++)
        {
            var i = 0;
            while (i < phrase.Count && string.Equals(message[start + i], phrase[i], StringComparison.Ordinal)) i++;
            if (i == phrase.Count) return true;
        }
        return false;
    }
}
