using Switchboard.Features.Escalation;

namespace Switchboard.Tests.Escalation;

/// <summary>The validator the API and the console share: each bad key is named, with a message saying what it allows.</summary>
public sealed class RuleValidatorTests
{
    public sealed record Bad(string Conditions, string Assignment, string Field, string MessagePart, string[]? Keywords = null, int Priority = 3)
    {
        public override string ToString() => $"{Conditions} {Assignment} -> {Field}";
    }

    private const string Ok = """{"frustration_at_least":0.5}""";

    public static TheoryData<Bad> BadRules => new(
        new Bad("""{"confidence_bellow":0.5}""", "{}", "triggerConditions.confidence_bellow", "Unknown key 'confidence_bellow'"),
        new Bad(Ok, """{"strategy":"round_robin","agents":[]}""", "agentAssignmentLogic.agents", "Allowed keys: strategy, agent_ids"),
        new Bad("""{"confidence_below":"low"}""", "{}", "triggerConditions.confidence_below", "a number from 0 to 1"),
        new Bad("""{"confidence_below":1.5}""", "{}", "triggerConditions.confidence_below", "Got 1.5"),
        new Bad("""{"confidence_below":-0.1}""", "{}", "triggerConditions.confidence_below", "a number from 0 to 1"),
        new Bad("""{"consecutive_low_confidence":0}""", "{}", "triggerConditions.consecutive_low_confidence", "an integer from 1 to 20"),
        new Bad("""{"consecutive_low_confidence":21}""", "{}", "triggerConditions.consecutive_low_confidence", "an integer from 1 to 20"),
        new Bad("""{"consecutive_low_confidence":2.5}""", "{}", "triggerConditions.consecutive_low_confidence", "an integer"),
        new Bad("""{"explicit_human_request":"yes"}""", "{}", "triggerConditions.explicit_human_request", "true, false or a threshold"),
        new Bad("""{"explicit_human_request":2}""", "{}", "triggerConditions.explicit_human_request", "from 0 to 1"),
        new Bad("""{"frustration_at_least":true}""", "{}", "triggerConditions.frustration_at_least", "a number from 0 to 1"),
        new Bad("""{"ai_turns_at_least":0}""", "{}", "triggerConditions.ai_turns_at_least", "at least 1"),
        new Bad("""{"customer_context":{}}""", "{}", "triggerConditions.customer_context", "non-empty object"),
        new Bad("""{"customer_context":{"plan":{"nested":1}}}""", "{}", "triggerConditions.customer_context", "string, number, boolean"),
        new Bad("""{"customer_context":"enterprise"}""", "{}", "triggerConditions.customer_context", "non-empty object"),
        new Bad("""{"outside_business_hours":false}""", "{}", "triggerConditions.outside_business_hours", "must be true"),
        new Bad("""{"outside_business_hours":{"days":["mon"],"start":"9:00","end":"17:00"}}""", "{}", "triggerConditions.outside_business_hours", "HH:mm"),
        new Bad("""{"outside_business_hours":{"days":["monday"],"start":"09:00","end":"17:00"}}""", "{}", "triggerConditions.outside_business_hours", "\"mon\""),
        new Bad("""{"outside_business_hours":{"days":["mon"],"start":"09:00","end":"25:00"}}""", "{}", "triggerConditions.outside_business_hours", "HH:mm"),
        new Bad("""{"outside_business_hours":{"days":["mon"],"start":"18:00","end":"09:00"}}""", "{}", "triggerConditions.outside_business_hours", "end (09:00) must be after start (18:00)"),
        new Bad("""{"outside_business_hours":{"days":["mon"],"start":"09:00"}}""", "{}", "triggerConditions.outside_business_hours", "must be true"),
        new Bad("{}", "{}", "triggerKeywords", "at least one trigger"),
        new Bad("""{"explicit_human_request":false}""", "{}", "triggerKeywords", "at least one trigger"),
        new Bad("{}", "{}", "triggerKeywords", "no letter or digit", Keywords: ["?!"]),
        new Bad("{}", "{}", "triggerKeywords", "at most 50", Keywords: [.. Enumerable.Range(0, 51).Select(i => "k" + i)]),
        new Bad("{}", "{}", "triggerKeywords", "1-100 characters", Keywords: [new string('x', 101)]),
        new Bad(Ok, """{"strategy":"fastest"}""", "agentAssignmentLogic.strategy", "round_robin, least_busy, skills, specific_agents"),
        new Bad(Ok, """{"strategy":"specific_agents"}""", "agentAssignmentLogic.agent_ids", "required with strategy specific_agents"),
        new Bad(Ok, """{"strategy":"specific_agents","agent_ids":[]}""", "agentAssignmentLogic.agent_ids", "non-empty list"),
        new Bad(Ok, """{"strategy":"specific_agents","agent_ids":["not-a-uuid"]}""", "agentAssignmentLogic.agent_ids", "uuids"),
        new Bad(Ok, """{"agent_ids":["0193a5f0-0000-7000-8000-000000000001"]}""", "agentAssignmentLogic.agent_ids", "only used with strategy specific_agents"),
        new Bad(Ok, """{"strategy":"skills"}""", "agentAssignmentLogic.required_skills", "required with strategy skills"),
        new Bad(Ok, """{"strategy":"skills","required_skills":[""]}""", "agentAssignmentLogic.required_skills", "1-100 characters"),
        new Bad(Ok, """{"max_concurrent":0}""", "agentAssignmentLogic.max_concurrent", "from 1 to 100"),
        new Bad(Ok, """{"max_concurrent":101}""", "agentAssignmentLogic.max_concurrent", "from 1 to 100"),
        new Bad(Ok, """{"fallback":"nobody"}""", "agentAssignmentLogic.fallback", "queue or any_agent"),
        new Bad("[1,2]", "{}", "triggerConditions", "JSON object"),
        new Bad("{not json", "{}", "triggerConditions", "JSON object"),
        new Bad(Ok, "{}", "priorityLevel", "from 1 to 5", Priority: 6));

    [Theory]
    [MemberData(nameof(BadRules))]
    public void EachBadKeyIsNamedWithWhatItAllows(Bad bad)
    {
        var errors = EscalationRuleValidator.Validate(new EscalationRuleDraft("Rule", [.. bad.Keywords ?? []], bad.Conditions, bad.Assignment, bad.Priority, true));

        Assert.True(errors.ContainsKey(bad.Field), $"expected {bad.Field}, got {string.Join(" | ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}");
        Assert.Contains(bad.MessagePart, string.Join(" ", errors[bad.Field]));
    }

    public static TheoryData<string, string, string[]> GoodRules => new()
    {
        { "{}", "{}", ["refund"] },
        { """{"confidence_below":0}""", "{}", [] },
        { """{"confidence_below":1,"consecutive_low_confidence":20}""", """{"strategy":"least_busy","fallback":"any_agent","max_concurrent":100}""", [] },
        { """{"explicit_human_request":0.65}""", """{"strategy":"skills","required_skills":["billing","German"]}""", [] },
        { """{"explicit_human_request":false,"ai_turns_at_least":1}""", """{"strategy":"specific_agents","agent_ids":["0193a5f0-0000-7000-8000-000000000001"]}""", [] },
        { """{"customer_context":{"plan":["pro","enterprise"],"vip":true,"seats":50}}""", "{}", [] },
        { """{"outside_business_hours":{"days":["sat","sun"],"start":"00:00","end":"23:59"}}""", """{"fallback":"queue"}""", ["urgent"] },
    };

    [Theory]
    [MemberData(nameof(GoodRules))]
    public void ValidRulesPassAndParse(string conditions, string assignment, string[] keywords)
    {
        var draft = new EscalationRuleDraft("Rule", [.. keywords], conditions, assignment, 5, true);

        Assert.Empty(EscalationRuleValidator.Validate(draft));
        var definition = EscalationRuleDefinition.Parse(new EscalationRule { RuleName = "Rule", TriggerKeywords = [.. keywords], TriggerConditions = conditions, AgentAssignmentLogic = assignment });
        Assert.True(definition.HasTrigger);
    }

    [Fact]
    public void TheTypedModelCarriesEveryKey()
    {
        var d = EscalationRuleDefinition.Parse(new EscalationRule
        {
            RuleName = "All",
            TriggerConditions = """{"confidence_below":0.4,"consecutive_low_confidence":3,"explicit_human_request":true,"frustration_at_least":0.6,"ai_turns_at_least":2,"customer_context":{"plan":"pro"},"outside_business_hours":{"days":["sat"],"start":"10:00","end":"12:30"}}""",
            AgentAssignmentLogic = """{"strategy":"skills","required_skills":[" billing "],"max_concurrent":2,"fallback":"any_agent"}""",
        });

        Assert.Equal((0.4, 3, 0.5, 0.6, 2), (d.Conditions.ConfidenceBelow, d.Conditions.ConsecutiveLowConfidence, d.Conditions.HumanRequestThreshold, d.Conditions.FrustrationAtLeast, d.Conditions.AiTurnsAtLeast));
        Assert.Equal("pro", d.Conditions.CustomerContext!["plan"]!.GetValue<string>());
        Assert.Equal([DayOfWeek.Saturday], d.Conditions.OutsideBusinessHours!.Days);
        Assert.Equal((new TimeOnly(10, 0), new TimeOnly(12, 30)), (d.Conditions.OutsideBusinessHours.Start, d.Conditions.OutsideBusinessHours.End));
        Assert.Equal(new AssignmentLogic(AssignmentStrategy.Skills, null, d.Assignment.RequiredSkills, 2, AssignmentFallback.AnyAgent), d.Assignment);
        Assert.Equal(["billing"], d.Assignment.RequiredSkills!);
        Assert.Equal(AssignmentLogic.Default, EscalationRuleDefinition.ParseAssignment("{}"));
    }
}
