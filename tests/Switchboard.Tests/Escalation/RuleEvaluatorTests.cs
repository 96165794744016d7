using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Features.Escalation;

namespace Switchboard.Tests.Escalation;

/// <summary>Each trigger holding and not holding (with its edge values), AND within a rule, priority order between rules.</summary>
public sealed class RuleEvaluatorTests
{
    /// <summary>One rule against one message. Defaults: no AI confidence, scores 0, Wednesday noon UTC.</summary>
    public sealed record Case(string Name, string Conditions, bool Fires, string[]? Keywords = null, string Message = "hello",
        double? Confidence = null, double[]? Previous = null, double Human = 0, double Frustration = 0, int AiTurns = 0,
        string Context = "{}", string Now = "2026-03-11T12:00:00Z", string Zone = "UTC", string? Reason = null)
    {
        public override string ToString() => Name;

        public EscalationSignals Signals() => new(Message, Confidence, Previous ?? [], Human, Frustration, AiTurns,
            JsonNode.Parse(Context)!.AsObject(), DateTimeOffset.Parse(Now, CultureInfo.InvariantCulture), TimeZoneInfo.FindSystemTimeZoneById(Zone));

        public EscalationRule Rule() => new()
        {
            RuleName = Name, TriggerKeywords = [.. Keywords ?? []], TriggerConditions = Conditions, PriorityLevel = 3, IsActive = true,
        };
    }

    public static TheoryData<Case> Cases => new(
        // trigger_keywords: whole words and phrases, case- and accent-insensitive, any of them
        new Case("keyword found as a whole word", "{}", true, ["refund"], "I want a REFUND now", Reason: "keyword \"refund\""),
        new Case("keyword inside a longer word does not match", "{}", false, ["refund"], "I was refunded already"),
        new Case("keyword matches case-insensitively", "{}", true, ["Remboursement"], "remboursement svp"),
        new Case("keyword matches without accents in the message", "{}", true, ["remboursé"], "Je veux etre rembourse"),
        new Case("keyword without accents matches accented text", "{}", true, ["cafe"], "Le CAFÉ est froid"),
        new Case("phrase matches across case, punctuation and double spaces", "{}", true, ["talk to a person"], "Can I TALK to a  person?", Reason: "keyword \"talk to a person\""),
        new Case("phrase with another word inside does not match", "{}", false, ["talk to a person"], "talk to the person"),
        new Case("phrase words out of order do not match", "{}", false, ["talk to a person"], "a person to talk"),
        new Case("any keyword of the list is enough", "{}", true, ["refund", "cancel"], "please cancel it", Reason: "keyword \"cancel\""),
        new Case("digits are tokens too", "{}", true, ["error 404"], "I get Error-404 on checkout"),
        // confidence_below
        new Case("confidence below the threshold", """{"confidence_below":0.5}""", true, Confidence: 0.31, Reason: "confidence 0.31 < 0.5"),
        new Case("confidence equal to the threshold does not hold", """{"confidence_below":0.5}""", false, Confidence: 0.5),
        new Case("confidence above the threshold does not hold", """{"confidence_below":0.5}""", false, Confidence: 0.9),
        new Case("no AI confidence never holds", """{"confidence_below":1}""", false, Confidence: null),
        new Case("confidence_below 0 never holds", """{"confidence_below":0}""", false, Confidence: 0),
        // consecutive_low_confidence
        new Case("streak of 2 below the rule's threshold", """{"consecutive_low_confidence":2,"confidence_below":0.35}""", true, Confidence: 0.2, Previous: [0.3],
            Reason: "2 consecutive low-confidence answers (0.3, 0.2 < 0.35)"),
        new Case("streak broken by the previous answer", """{"consecutive_low_confidence":2,"confidence_below":0.35}""", false, Confidence: 0.2, Previous: [0.35]),
        new Case("streak too short in a new session", """{"consecutive_low_confidence":2}""", false, Confidence: 0.1, Previous: []),
        new Case("streak needs this message's confidence", """{"consecutive_low_confidence":2}""", false, Confidence: null, Previous: [0.1, 0.1]),
        new Case("streak threshold defaults to 0.5", """{"consecutive_low_confidence":2}""", true, Confidence: 0.49, Previous: [0.49]),
        new Case("streak default threshold is exclusive", """{"consecutive_low_confidence":2}""", false, Confidence: 0.1, Previous: [0.5]),
        new Case("only the last N answers count", """{"consecutive_low_confidence":2}""", true, Confidence: 0.1, Previous: [0.9, 0.1]),
        new Case("streak of 1 is this message alone", """{"consecutive_low_confidence":1}""", true, Confidence: 0.2),
        new Case("with a streak, confidence_below is not a second trigger", """{"consecutive_low_confidence":3,"confidence_below":0.4}""", false, Confidence: 0.1, Previous: [0.5, 0.1]),
        // explicit_human_request
        new Case("human request true uses the default threshold 0.5", """{"explicit_human_request":true}""", true, Human: 0.5, Reason: "asked for a person (score 0.5 >= 0.5)"),
        new Case("human request below the default threshold", """{"explicit_human_request":true}""", false, Human: 0.49),
        new Case("human request with its own threshold, reached", """{"explicit_human_request":0.8}""", true, Human: 0.8),
        new Case("human request with its own threshold, missed", """{"explicit_human_request":0.8}""", false, Human: 0.79),
        new Case("human request false is no trigger: the rule never fires", """{"explicit_human_request":false}""", false, Human: 1),
        // frustration_at_least
        new Case("frustration at the threshold", """{"frustration_at_least":0.7}""", true, Frustration: 0.7, Reason: "frustration 0.7 >= 0.7"),
        new Case("frustration just below", """{"frustration_at_least":0.7}""", false, Frustration: 0.69),
        // ai_turns_at_least
        new Case("AI answered N times", """{"ai_turns_at_least":3}""", true, AiTurns: 3, Reason: "3 AI answers >= 3"),
        new Case("AI answered fewer times", """{"ai_turns_at_least":3}""", false, AiTurns: 2),
        // customer_context
        new Case("context string matches case-insensitively", """{"customer_context":{"plan":"enterprise"}}""", true, Context: """{"plan":"Enterprise"}""",
            Reason: "customer plan = \"Enterprise\""),
        new Case("context string differs", """{"customer_context":{"plan":"enterprise"}}""", false, Context: """{"plan":"pro"}"""),
        new Case("context key missing", """{"customer_context":{"plan":"enterprise"}}""", false, Context: "{}"),
        new Case("context array in the rule means any of", """{"customer_context":{"plan":["pro","enterprise"]}}""", true, Context: """{"plan":"pro"}"""),
        new Case("context number equal", """{"customer_context":{"seats":50}}""", true, Context: """{"seats":50.0}"""),
        new Case("context number does not equal a string", """{"customer_context":{"seats":50}}""", false, Context: """{"seats":"50"}"""),
        new Case("context boolean equal", """{"customer_context":{"vip":true}}""", true, Context: """{"vip":true}"""),
        new Case("context boolean differs", """{"customer_context":{"vip":true}}""", false, Context: """{"vip":false}"""),
        new Case("context needs every key", """{"customer_context":{"vip":true,"plan":"pro"}}""", false, Context: """{"vip":true,"plan":"free"}"""),
        // outside_business_hours (default Mon-Fri 09:00-17:00, start inclusive, end exclusive)
        new Case("Wednesday noon is inside the default hours", """{"outside_business_hours":true}""", false),
        new Case("Wednesday 08:59 is outside", """{"outside_business_hours":true}""", true, Now: "2026-03-11T08:59:00Z", Reason: "outside business hours (Wed 08:59 UTC; open mon,tue,wed,thu,fri 09:00-17:00)"),
        new Case("Wednesday 09:00 is inside", """{"outside_business_hours":true}""", false, Now: "2026-03-11T09:00:00Z"),
        new Case("Wednesday 17:00 is outside", """{"outside_business_hours":true}""", true, Now: "2026-03-11T17:00:00Z"),
        new Case("Saturday noon is outside", """{"outside_business_hours":true}""", true, Now: "2026-03-14T12:00:00Z"),
        new Case("the organization's time zone decides: 07:30 UTC is 08:30 in Berlin", """{"outside_business_hours":true}""", true, Now: "2026-03-11T07:30:00Z", Zone: "Europe/Berlin"),
        new Case("the organization's time zone decides: 08:30 UTC is 09:30 in Berlin", """{"outside_business_hours":true}""", false, Now: "2026-03-11T08:30:00Z", Zone: "Europe/Berlin"),
        new Case("after the spring DST change 07:30 UTC is 09:30 in Berlin", """{"outside_business_hours":true}""", false, Now: "2026-03-30T07:30:00Z", Zone: "Europe/Berlin"),
        new Case("after the spring DST change 13:30 UTC is 09:30 in New York", """{"outside_business_hours":true}""", false, Now: "2026-03-09T13:30:00Z", Zone: "America/New_York"),
        new Case("before the spring DST change 13:30 UTC is 08:30 in New York", """{"outside_business_hours":true}""", true, Now: "2026-03-06T13:30:00Z", Zone: "America/New_York"),
        new Case("custom weekend hours: Saturday 11:00 is inside", """{"outside_business_hours":{"days":["sat","sun"],"start":"10:00","end":"14:00"}}""", false, Now: "2026-03-14T11:00:00Z"),
        new Case("custom weekend hours: Wednesday 11:00 is outside", """{"outside_business_hours":{"days":["sat","sun"],"start":"10:00","end":"14:00"}}""", true, Now: "2026-03-11T11:00:00Z"),
        // AND within a rule
        new Case("keyword and low confidence both hold", """{"confidence_below":0.5}""", true, ["refund"], "refund please", Confidence: 0.3,
            Reason: "keyword \"refund\"; confidence 0.3 < 0.5"),
        new Case("keyword holds, confidence does not", """{"confidence_below":0.5}""", false, ["refund"], "refund please", Confidence: 0.6),
        new Case("confidence holds, keyword does not", """{"confidence_below":0.5}""", false, ["refund"], "where is my parcel", Confidence: 0.3),
        new Case("three conditions all hold", """{"frustration_at_least":0.5,"ai_turns_at_least":2,"customer_context":{"plan":"pro"}}""", true,
            Frustration: 0.6, AiTurns: 2, Context: """{"plan":"pro"}""", Reason: "frustration 0.6 >= 0.5; 2 AI answers >= 2; customer plan = \"pro\""),
        new Case("three conditions, one fails", """{"frustration_at_least":0.5,"ai_turns_at_least":2,"customer_context":{"plan":"pro"}}""", false,
            Frustration: 0.6, AiTurns: 1, Context: """{"plan":"pro"}"""),
        // a rule without any trigger never fires
        new Case("an empty rule never fires", "{}", false, Confidence: 0, Human: 1, Frustration: 1, AiTurns: 99));

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachTriggerHoldsExactlyWhenItsConditionIsMet(Case c)
    {
        var match = RuleEvaluator.Evaluate([c.Rule()], c.Signals());

        Assert.Equal(c.Fires, match is not null);
        if (c.Reason is not null) Assert.Equal(c.Reason, match!.Reason);
    }

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static EscalationRule Rule(string name, int priority, int ageOrder, bool active = true, string conditions = """{"frustration_at_least":0.5}""") => new()
    {
        RuleName = name, PriorityLevel = priority, IsActive = active, TriggerConditions = conditions, CreatedAt = T0.AddMinutes(ageOrder),
    };

    private static EscalationSignals Frustrated => new("THIS IS THE THIRD TIME", 0.2, [0.1], 0.9, 0.9, 3, [], T0, TimeZoneInfo.Utc);

    public sealed record OrderCase(string Name, EscalationRule[] Rules, string Expected)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<OrderCase> OrderCases => new(
        new OrderCase("priority 5 is evaluated before priority 1, whatever their age",
            [Rule("low", 1, ageOrder: 0), Rule("urgent", 5, ageOrder: 9)], "urgent"),
        new OrderCase("priority 5 before 4 before 3, in any input order",
            [Rule("three", 3, 0), Rule("five", 5, 2), Rule("four", 4, 1)], "five"),
        new OrderCase("equal priorities: the older rule wins",
            [Rule("newer", 3, ageOrder: 5), Rule("older", 3, ageOrder: 1)], "older"),
        new OrderCase("an inactive rule is skipped even with the highest priority",
            [Rule("off", 5, 0, active: false), Rule("on", 1, 1)], "on"),
        new OrderCase("a higher rule that does not hold lets a lower one fire",
            [Rule("needs enterprise", 5, 0, conditions: """{"customer_context":{"plan":"enterprise"}}"""), Rule("frustration", 2, 1)], "frustration"),
        new OrderCase("a rule whose stored JSON no longer parses is skipped",
            [Rule("broken", 5, 0, conditions: "{not json"), Rule("fine", 1, 1)], "fine"),
        new OrderCase("a rule without triggers is skipped",
            [Rule("empty", 5, 0, conditions: "{}"), Rule("fine", 1, 1)], "fine"));

    [Theory]
    [MemberData(nameof(OrderCases))]
    public void TheFirstRuleThatHoldsInPriorityOrderWins(OrderCase c)
    {
        Assert.Equal(c.Expected, RuleEvaluator.Evaluate(c.Rules, Frustrated)?.Rule.RuleName);
    }

    [Fact]
    public void NoRuleHoldingMeansNoMatch()
    {
        var calm = Frustrated with { FrustrationScore = 0.1 };
        Assert.Null(RuleEvaluator.Evaluate([Rule("a", 5, 0), Rule("b", 1, 1)], calm));
        Assert.Null(RuleEvaluator.Evaluate([Rule("off", 5, 0, active: false)], Frustrated));
    }

    public static TheoryData<string, double, double, double?, double[], string?> DefaultCases => new()
    {
        // message, human score, frustration, confidence, previous confidences -> default rule that fires
        { "can I talk to a real person", 0.9, 0.9, 0.1, [0.1], DefaultEscalationRules.HumanRequest },
        { "this is useless!!!", 0.1, 0.8, 0.1, [0.1], DefaultEscalationRules.Frustrated },
        { "what about the blue one", 0.1, 0.2, 0.3, [0.2], DefaultEscalationRules.AiKeepsMissing },
        { "what about the blue one", 0.1, 0.2, 0.3, [0.6], null },
        { "thanks, that helps", 0.1, 0.1, 0.9, [0.9], null },
    };

    [Theory]
    [MemberData(nameof(DefaultCases))]
    public void TheDefaultRulesFireOnAPersonRequestFrustrationAndAStreakOfMisses(string message, double human, double frustration, double? confidence, double[] previous, string? expected)
    {
        var signals = new EscalationSignals(message, confidence, previous, human, frustration, 1, [], T0, TimeZoneInfo.Utc);
        Assert.Equal(expected, RuleEvaluator.Evaluate(DefaultEscalationRules.For(Guid.NewGuid()), signals)?.Rule.RuleName);
    }

    [Fact]
    public void TheDefaultRulesPassTheValidator()
    {
        foreach (var rule in DefaultEscalationRules.For(Guid.NewGuid()))
            Assert.Empty(EscalationRuleValidator.Validate(EscalationRuleDraft.From(rule)));
    }
}
