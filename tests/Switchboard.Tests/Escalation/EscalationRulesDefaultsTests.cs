using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Escalation;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Ai;

namespace Switchboard.Tests.Escalation;

/// <summary>A new organization starts with the default rules, valid by the same validator as the API's.</summary>
public sealed class EscalationRulesDefaultsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheDemoOrganizationStartsWithTheDefaultRulesAndTheyValidate()
    {
        await using var host = new AiHost();
        await host.InitializeAsync();

        await host.Get<DemoData>().SeedIfEmptyAsync(Ct);

        await using var db = host.SystemDb.CreateContext();
        var org = await db.Organizations.SingleAsync(o => o.Slug == DemoData.Slug, Ct);
        var rules = await db.EscalationRules.AsNoTracking().Where(r => r.OrganizationId == org.Id).ToListAsync(Ct);
        Assert.Equal([(DefaultEscalationRules.HumanRequest, 5), (DefaultEscalationRules.Frustrated, 4), (DefaultEscalationRules.AiKeepsMissing, 3)],
            rules.OrderByDescending(r => r.PriorityLevel).Select(r => (r.RuleName, r.PriorityLevel ?? 0)));
        Assert.All(rules, r => Assert.Empty(EscalationRuleValidator.Validate(EscalationRuleDraft.From(r))));
        var human = EscalationRuleDefinition.Parse(rules.Single(r => r.RuleName == DefaultEscalationRules.HumanRequest));
        Assert.Equal((AssignmentStrategy.RoundRobin, AssignmentFallback.AnyAgent), (human.Assignment.Strategy, human.Assignment.Fallback));
        var missing = EscalationRuleDefinition.Parse(rules.Single(r => r.RuleName == DefaultEscalationRules.AiKeepsMissing));
        Assert.Equal((2, 0.35, AssignmentStrategy.LeastBusy), (missing.Conditions.ConsecutiveLowConfidence, missing.Conditions.ConfidenceBelow, missing.Assignment.Strategy));
    }
}
