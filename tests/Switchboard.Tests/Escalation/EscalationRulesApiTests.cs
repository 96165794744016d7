using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Escalation;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Escalation;

/// <summary>
/// The escalation-rules API on both providers: bad rule JSON is a 400 naming the key and changes nothing; valid rules
/// round-trip; PATCH toggles; only the organization's admins manage rules; the schema is published.
/// </summary>
public abstract class EscalationRulesApiTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private string Rules => $"/api/orgs/{World.OrgA.Id}/escalation-rules";

    public sealed record BadRule(string Method, string Body, string Field)
    {
        public override string ToString() => $"{Method} {(Body.Length > 90 ? Body[..90] + "…" : Body)} -> {Field}";
    }

    private const string Valid = """ "ruleName":"r","triggerConditions":{"frustration_at_least":0.5} """;

    public static TheoryData<BadRule> BadRules => new(
        // unknown keys
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"confidence_bellow":0.5}}""", "triggerConditions.confidence_bellow"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"frustration_at_least":0.5,"sentiment":"angry"}}""", "triggerConditions.sentiment"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"strategy":"least_busy","team":"billing"}}""", "agentAssignmentLogic.team"),
        // wrong types
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"confidence_below":"low"}}""", "triggerConditions.confidence_below"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"explicit_human_request":"yes"}}""", "triggerConditions.explicit_human_request"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"customer_context":["plan"]}}""", "triggerConditions.customer_context"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":"confidence_below 0.5"}""", "triggerConditions"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"max_concurrent":"two"}}""", "agentAssignmentLogic.max_concurrent"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":["round_robin"]}""", "agentAssignmentLogic"),
        // out of range
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"confidence_below":1.01}}""", "triggerConditions.confidence_below"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"consecutive_low_confidence":21}}""", "triggerConditions.consecutive_low_confidence"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"ai_turns_at_least":0}}""", "triggerConditions.ai_turns_at_least"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"strategy":"telepathy"}}""", "agentAssignmentLogic.strategy"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"max_concurrent":101}}""", "agentAssignmentLogic.max_concurrent"),
        new BadRule("POST", "{" + Valid + ""","priorityLevel":6}""", "priorityLevel"),
        // assignment cross-field rules
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"strategy":"specific_agents"}}""", "agentAssignmentLogic.agent_ids"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"strategy":"specific_agents","agent_ids":["{agentB}"]}}""", "agentAssignmentLogic.agent_ids"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"strategy":"specific_agents","agent_ids":["{agentA}","{memberA}"]}}""", "agentAssignmentLogic.agent_ids"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"strategy":"specific_agents","agent_ids":["{uuid}"]}}""", "agentAssignmentLogic.agent_ids"),
        new BadRule("POST", "{" + Valid + ""","agentAssignmentLogic":{"strategy":"skills"}}""", "agentAssignmentLogic.required_skills"),
        // business hours
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"outside_business_hours":{"days":["mon"],"start":"18:00","end":"08:00"}}}""", "triggerConditions.outside_business_hours"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"outside_business_hours":{"days":["mon"],"start":"09:00","end":"24:30"}}}""", "triggerConditions.outside_business_hours"),
        new BadRule("POST", """{"ruleName":"r","triggerConditions":{"outside_business_hours":{"days":["weekday"],"start":"09:00","end":"17:00"}}}""", "triggerConditions.outside_business_hours"),
        // empty rule, bad keywords, missing name
        new BadRule("POST", """{"ruleName":"r"}""", "triggerKeywords"),
        new BadRule("POST", """{"ruleName":"r","triggerKeywords":[],"triggerConditions":{}}""", "triggerKeywords"),
        new BadRule("POST", """{"ruleName":"r","triggerKeywords":["  "]}""", "triggerKeywords"),
        new BadRule("POST", """{"ruleName":"r","triggerKeywords":["{longKeyword}"]}""", "triggerKeywords"),
        new BadRule("POST", """{"ruleName":"r","triggerKeywords":[{fiftyOneKeywords}]}""", "triggerKeywords"),
        new BadRule("POST", """{"ruleName":"  ","triggerKeywords":["refund"]}""", "ruleName"),
        // edits: the rule as it would be stored is validated whole
        new BadRule("PUT", """{"triggerConditions":{"confidence_below":2}}""", "triggerConditions.confidence_below"),
        new BadRule("PATCH", """{"triggerConditions":{"unknown_key":1}}""", "triggerConditions.unknown_key"),
        new BadRule("PATCH", """{"triggerConditions":{}}""", "triggerKeywords"),
        new BadRule("PATCH", """{"agentAssignmentLogic":{"strategy":"specific_agents","agent_ids":["{agentB}"]}}""", "agentAssignmentLogic.agent_ids"),
        new BadRule("PATCH", """{"priorityLevel":0}""", "priorityLevel"),
        new BadRule("PATCH", """{"isActive":"no"}""", "isActive"));

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task BadRuleJsonIsAProblemNamingTheKeyAndChangesNothing(BadRule bad)
    {
        var before = await SnapshotAsync();
        var path = bad.Method == "POST" ? Rules : $"{Rules}/{World.RuleA.Id}";
        using var request = new HttpRequestMessage(new HttpMethod(bad.Method), path) { Content = new StringContent(Resolve(bad.Body), Encoding.UTF8, "application/json") };

        using var response = await World["adminA"].Client.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(bad.Field, out var messages), $"{bad}: the problem does not name '{bad.Field}': {text}");
        Assert.All(messages.EnumerateArray(), m => Assert.False(string.IsNullOrWhiteSpace(m.GetString())));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task AValidRuleIsStoredAsSentAndListedByPriority()
    {
        var admin = World["adminA"].Client;
        var agentA = World["agentA"].UserId!.Value;
        var body = new
        {
            ruleName = "  VIP refunds  ",
            triggerKeywords = new[] { " Refund ", "refund", "money back" },
            triggerConditions = JsonDocument.Parse("""{"customer_context":{"plan":["pro","enterprise"]},"outside_business_hours":{"days":["sat","sun"],"start":"10:00","end":"14:00"}}""").RootElement,
            agentAssignmentLogic = JsonDocument.Parse($$"""{"strategy":"specific_agents","agent_ids":["{{agentA}}"],"max_concurrent":2,"fallback":"any_agent"}""").RootElement,
            priorityLevel = 5,
        };

        using var created = await admin.PostAsJsonAsync(Rules, body, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var rule = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = rule.GetProperty("id").GetGuid();
        Assert.Equal("VIP refunds", rule.GetProperty("ruleName").GetString());
        Assert.Equal(["Refund", "money back"], rule.GetProperty("triggerKeywords").EnumerateArray().Select(k => k.GetString()));
        await using var db = World.Factory.SystemContext();
        var stored = EscalationRuleDefinition.Parse(await db.EscalationRules.AsNoTracking().SingleAsync(r => r.Id == id, Ct));
        Assert.Equal(AssignmentStrategy.SpecificAgents, stored.Assignment.Strategy);
        Assert.Equal([agentA], stored.Assignment.AgentIds!);
        Assert.Equal(AssignmentFallback.AnyAgent, stored.Assignment.Fallback);
        Assert.Equal(2, stored.Conditions.OutsideBusinessHours!.Days.Count);

        var list = await admin.GetFromJsonAsync<List<JsonElement>>(Rules, Ct);
        var priorities = list!.Select(r => r.GetProperty("priorityLevel").GetInt32()).ToList();
        Assert.Equal(priorities.OrderDescending(), priorities);
        Assert.Contains(list!, r => r.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    public async Task PatchTogglesARuleAndKeepsEverythingElse()
    {
        var admin = World["adminA"].Client;
        using var created = await admin.PostAsJsonAsync(Rules, new
        {
            ruleName = "Toggle me", triggerKeywords = new[] { "cancel" },
            triggerConditions = JsonDocument.Parse("""{"ai_turns_at_least":2}""").RootElement, priorityLevel = 2,
        }, Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        using var off = await admin.PatchAsJsonAsync($"{Rules}/{id}", new { isActive = false }, Ct);
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        using var renamed = await admin.PutAsJsonAsync($"{Rules}/{id}", new { ruleName = "Renamed", priorityLevel = 4 }, Ct);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);

        await using var db = World.Factory.SystemContext();
        var row = await db.EscalationRules.AsNoTracking().SingleAsync(r => r.Id == id, Ct);
        Assert.False(row.IsActive);
        Assert.Equal(("Renamed", 4), (row.RuleName, row.PriorityLevel));
        Assert.Equal(["cancel"], row.TriggerKeywords!);
        Assert.Equal(2, EscalationRuleDefinition.Parse(row).Conditions.AiTurnsAtLeast);
    }

    public static TheoryData<string, string, HttpStatusCode> Refusals => new()
    {
        { "agentA", "PATCH", HttpStatusCode.Forbidden },
        { "memberA", "PATCH", HttpStatusCode.Forbidden },
        { "memberA", "GET", HttpStatusCode.Forbidden },
        { "adminB", "PATCH", HttpStatusCode.NotFound },
        { "adminB", "GET", HttpStatusCode.NotFound },
        { "customer", "PATCH", HttpStatusCode.NotFound },
        { "anonymous", "PATCH", HttpStatusCode.Unauthorized },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task OnlyTheOrganizationsAdminsManageRules(string actor, string method, HttpStatusCode expected)
    {
        var before = await SnapshotAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{Rules}/{World.RuleA.Id}");
        if (method != "GET") request.Content = JsonContent.Create(new { isActive = false });

        using var response = await World[actor].Client.SendAsync(request, Ct);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task TheSchemaIsPublishedToAnyone()
    {
        using var response = await World["anonymous"].Client.GetAsync(EscalationRulesApi.SchemaPath, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        var schema = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema.GetProperty("$schema").GetString());
        var conditions = schema.GetProperty("$defs").GetProperty("triggerConditions");
        Assert.False(conditions.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(
            ["confidence_below", "consecutive_low_confidence", "explicit_human_request", "frustration_at_least", "ai_turns_at_least", "customer_context", "outside_business_hours"],
            conditions.GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task TheDefaultRulesMigrationGivesOnlyOrganizationsWithoutRulesTheDefaults()
    {
        var fresh = new Organization { Name = "No rules yet", Slug = "norules-" + Guid.NewGuid().ToString("N")[..8] };
        await using (var db = World.Factory.SystemContext())
        {
            db.Organizations.Add(fresh);
            await db.SaveChangesAsync(Ct);
        }
        var provider = World.Factory.ProviderName;

        await using (var db = World.Factory.SystemContext())
        {
            // Organizations other tests' classes made may have no rules either; they get defaults too, which is the point.
            var rulesOfA = await db.EscalationRules.CountAsync(r => r.OrganizationId == World.OrgA.Id, Ct);
            // Raw SQL is a format string to EF: the JSON's braces are escaped (migrationBuilder.Sql takes it as is).
            var sql = DefaultEscalationRules.InsertForOrganizationsWithoutRulesSql(postgres: provider == "Postgres");
            await db.Database.ExecuteSqlRawAsync(sql.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal), Ct);
            Assert.Equal(rulesOfA, await db.EscalationRules.CountAsync(r => r.OrganizationId == World.OrgA.Id, Ct));
        }

        await using (var db = World.Factory.SystemContext())
        {
            var rules = await db.EscalationRules.AsNoTracking().Where(r => r.OrganizationId == fresh.Id).ToListAsync(Ct);
            Assert.Equal([DefaultEscalationRules.HumanRequest, DefaultEscalationRules.Frustrated, DefaultEscalationRules.AiKeepsMissing],
                rules.OrderByDescending(r => r.PriorityLevel).ThenBy(r => r.CreatedAt).Select(r => r.RuleName));
            Assert.All(rules, r => Assert.Empty(EscalationRuleValidator.Validate(EscalationRuleDraft.From(r))));
            Assert.All(rules, r => Assert.True(r.IsActive));
            Assert.Equal(3, rules.Select(r => r.Id).Distinct().Count());
            Assert.All(rules, r => Assert.InRange(r.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5)));
            // Readable by EF by id, i.e. stored in the provider's own id format.
            Assert.NotNull(await db.EscalationRules.FindAsync([rules[0].Id], Ct));
        }
    }

    private string Resolve(string text) => World.Resolve(text)
        .Replace("{agentA}", World["agentA"].UserId.ToString(), StringComparison.Ordinal)
        .Replace("{agentB}", World["agentB"].UserId.ToString(), StringComparison.Ordinal)
        .Replace("{memberA}", World["memberA"].UserId.ToString(), StringComparison.Ordinal)
        .Replace("{longKeyword}", new string('k', 101), StringComparison.Ordinal)
        .Replace("{fiftyOneKeywords}", string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"word{i}\"")), StringComparison.Ordinal);

    /// <summary>Every rule row in full, plus the seed tables: equal before and after means nothing changed.</summary>
    private async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder(await fixture.FingerprintAsync());
        await using var db = World.Factory.SystemContext();
        foreach (var r in await db.EscalationRules.AsNoTracking().OrderBy(r => r.Id).ToListAsync(Ct))
            text.AppendLine($"{r.Id} {r.RuleName} {string.Join("|", r.TriggerKeywords ?? [])} {r.TriggerConditions} {r.AgentAssignmentLogic} {r.PriorityLevel} {r.IsActive} {r.UpdatedAt.UtcTicks}");
        return text.ToString();
    }
}

public sealed class SqliteEscalationRulesApiTests(WorldFixture<SqliteFactory> fixture) : EscalationRulesApiTests<SqliteFactory>(fixture);

public sealed class PostgresEscalationRulesApiTests(WorldFixture<PostgresFactory> fixture) : EscalationRulesApiTests<PostgresFactory>(fixture);
