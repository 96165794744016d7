using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Escalation;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Http;

/// <summary>
/// The seed's row-level-security rules through the HTTP API: every actor against every table and
/// operation the API offers, asserting both what it can and what it cannot do. A refused write
/// must leave every seed table exactly as it was. The same cases run on SQLite and PostgreSQL.
/// </summary>
public abstract class SecurityMatrixTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;

    public sealed record Case(string Actor, string Method, string Path, string? Body, HttpStatusCode Expected)
    {
        public override string ToString() => $"{Actor} {Method} {Path} -> {(int)Expected}";
    }

    private const HttpStatusCode Ok = HttpStatusCode.OK, Created = HttpStatusCode.Created, NoContent = HttpStatusCode.NoContent,
        NotFound = HttpStatusCode.NotFound, Forbidden = HttpStatusCode.Forbidden, Unauthorized = HttpStatusCode.Unauthorized;

    private const string Article = """{"title":"New article","content":"Body text","category":"faq","tags":["a"]}""";
    private const string Rule = """{"ruleName":"New rule","triggerKeywords":["refund"],"priorityLevel":3}""";

    public static TheoryData<Case> Cases => new(
        // chatbot_sessions: users manage their own; agents of the organization view them.
        new Case("anonymous", "POST", "/api/widget/sessions", """{"orgKey":"{orgAKey}"}""", Created),
        new Case("anonymous", "GET", "/api/widget/sessions/{anonToken}/messages", null, Ok),
        new Case("anonymous", "GET", "/api/widget/sessions/st_not-a-real-token/messages", null, NotFound),
        new Case("anonymous", "GET", "/api/me/sessions", null, Unauthorized),
        new Case("anonymous", "GET", "/api/orgs/{orgA}/sessions", null, Unauthorized),
        new Case("customer", "POST", "/api/me/sessions", """{"orgKey":"{orgAKey}"}""", Created),
        new Case("customer", "GET", "/api/me/sessions/{customerSession}", null, Ok),
        new Case("customer", "PATCH", "/api/me/sessions/{customerSession}", """{"status":"resolved"}""", Ok),
        new Case("customer", "GET", "/api/me/sessions/{otherCustomerSession}", null, NotFound),
        new Case("customer", "PATCH", "/api/me/sessions/{otherCustomerSession}", """{"status":"resolved"}""", NotFound),
        new Case("customer", "GET", "/api/orgs/{orgA}/sessions", null, NotFound),
        new Case("otherCustomer", "GET", "/api/me/sessions/{customerSession}", null, NotFound),
        new Case("otherCustomer", "PATCH", "/api/me/sessions/{customerSession}", """{"status":"escalated"}""", NotFound),
        new Case("agentA", "GET", "/api/orgs/{orgA}/sessions", null, Ok),
        new Case("agentA", "GET", "/api/orgs/{orgA}/sessions/{customerSession}", null, Ok),
        new Case("agentA", "GET", "/api/orgs/{orgA}/sessions/{sessionInB}", null, NotFound),
        new Case("agentA", "GET", "/api/orgs/{orgB}/sessions", null, NotFound),
        new Case("agentA", "PATCH", "/api/me/sessions/{customerSession}", """{"status":"resolved"}""", NotFound),
        new Case("agentB", "GET", "/api/orgs/{orgA}/sessions/{customerSession}", null, NotFound),
        new Case("adminA", "GET", "/api/orgs/{orgA}/sessions/{anonSession}", null, Ok),
        new Case("adminB", "GET", "/api/orgs/{orgA}/sessions", null, NotFound),
        new Case("memberA", "GET", "/api/orgs/{orgA}/sessions", null, Forbidden),
        new Case("platformAdmin", "GET", "/api/orgs/{orgA}/sessions", null, NotFound),

        // chatbot_conversations: users view their own history; agents view their organization's.
        new Case("anonymous", "POST", "/api/widget/sessions/{anonToken}/messages", """{"clientMessageId":"{uuid}","content":"Where is my order?"}""", Created),
        new Case("customer", "GET", "/api/me/sessions/{customerSession}/messages", null, Ok),
        new Case("customer", "POST", "/api/me/sessions/{customerSession}/messages", """{"content":"Still waiting"}""", Created),
        new Case("customer", "GET", "/api/me/sessions/{otherCustomerSession}/messages", null, NotFound),
        new Case("otherCustomer", "POST", "/api/me/sessions/{customerSession}/messages", """{"content":"Injected"}""", NotFound),
        new Case("agentA", "GET", "/api/orgs/{orgA}/sessions/{customerSession}/messages", null, Ok),
        new Case("agentA", "POST", "/api/me/sessions/{customerSession}/messages", """{"content":"Pretending"}""", NotFound),
        new Case("agentB", "GET", "/api/orgs/{orgA}/sessions/{customerSession}/messages", null, NotFound),
        new Case("agentB", "GET", "/api/orgs/{orgB}/sessions/{customerSession}/messages", null, NotFound),
        new Case("adminA", "GET", "/api/orgs/{orgA}/sessions/{anonSession}/messages", null, Ok),
        new Case("adminB", "GET", "/api/orgs/{orgB}/sessions/{anonSession}/messages", null, NotFound),
        new Case("platformAdmin", "GET", "/api/orgs/{orgA}/sessions/{anonSession}/messages", null, NotFound),

        // ai_knowledge_base: global readable by all, organization rows by members, only admins write.
        new Case("anonymous", "GET", "/api/knowledge/global/{globalArticle}", null, Ok),
        new Case("customer", "GET", "/api/knowledge/global/{globalArticle}", null, Ok),
        new Case("agentB", "GET", "/api/knowledge/global/{globalArticle}", null, Ok),
        new Case("anonymous", "GET", "/api/orgs/{orgA}/knowledge/{articleA}", null, Unauthorized),
        new Case("customer", "GET", "/api/orgs/{orgA}/knowledge/{articleA}", null, NotFound),
        new Case("memberA", "GET", "/api/orgs/{orgA}/knowledge/{articleA}", null, Ok),
        new Case("agentA", "GET", "/api/orgs/{orgA}/knowledge/{articleA}", null, Ok),
        new Case("agentA", "GET", "/api/orgs/{orgA}/knowledge/{articleB}", null, NotFound),
        new Case("agentB", "GET", "/api/orgs/{orgA}/knowledge/{articleA}", null, NotFound),
        new Case("adminB", "GET", "/api/orgs/{orgB}/knowledge/{articleA}", null, NotFound),
        new Case("platformAdmin", "GET", "/api/orgs/{orgA}/knowledge/{articleA}", null, NotFound),
        new Case("adminA", "POST", "/api/orgs/{orgA}/knowledge", Article, Created),
        new Case("adminA", "PUT", "/api/orgs/{orgA}/knowledge/{newArticleA}", """{"title":"Edited"}""", Ok),
        new Case("adminA", "DELETE", "/api/orgs/{orgA}/knowledge/{newArticleA}", null, NoContent),
        new Case("adminA", "PUT", "/api/orgs/{orgA}/knowledge/{articleB}", """{"title":"Hijack"}""", NotFound),
        new Case("adminA", "POST", "/api/knowledge/global", Article, Forbidden),
        new Case("adminA", "DELETE", "/api/knowledge/global/{globalArticle}", null, Forbidden),
        new Case("agentA", "POST", "/api/orgs/{orgA}/knowledge", Article, Forbidden),
        new Case("agentA", "PUT", "/api/orgs/{orgA}/knowledge/{articleA}", """{"title":"Edited"}""", Forbidden),
        new Case("agentA", "DELETE", "/api/orgs/{orgA}/knowledge/{articleA}", null, Forbidden),
        new Case("memberA", "POST", "/api/orgs/{orgA}/knowledge", Article, Forbidden),
        new Case("adminB", "POST", "/api/orgs/{orgA}/knowledge", Article, NotFound),
        new Case("adminB", "DELETE", "/api/orgs/{orgA}/knowledge/{articleA}", null, NotFound),
        new Case("customer", "POST", "/api/orgs/{orgA}/knowledge", Article, NotFound),
        new Case("anonymous", "POST", "/api/knowledge/global", Article, Unauthorized),
        new Case("platformAdmin", "POST", "/api/orgs/{orgA}/knowledge", Article, NotFound),
        new Case("platformAdmin", "POST", "/api/knowledge/global", Article, Created),
        new Case("platformAdmin", "PUT", "/api/knowledge/global/{newGlobalArticle}", """{"title":"Edited globally"}""", Ok),
        new Case("platformAdmin", "DELETE", "/api/knowledge/global/{newGlobalArticle}", null, NoContent),

        // agent_analytics: agents read their own rows; organization admins read their organization's.
        new Case("agentA", "GET", "/api/orgs/{orgA}/analytics/agents", null, Ok),
        new Case("adminA", "GET", "/api/orgs/{orgA}/analytics/agents", null, Ok),
        new Case("agentB", "GET", "/api/orgs/{orgA}/analytics/agents", null, NotFound),
        new Case("adminB", "GET", "/api/orgs/{orgA}/analytics/agents", null, NotFound),
        new Case("memberA", "GET", "/api/orgs/{orgA}/analytics/agents", null, Forbidden),
        new Case("customer", "GET", "/api/orgs/{orgA}/analytics/agents", null, NotFound),
        new Case("platformAdmin", "GET", "/api/orgs/{orgA}/analytics/agents", null, NotFound),
        new Case("anonymous", "GET", "/api/orgs/{orgA}/analytics/agents", null, Unauthorized),

        // escalation_rules: only organization admins manage them.
        new Case("adminA", "GET", "/api/orgs/{orgA}/escalation-rules/{ruleA}", null, Ok),
        new Case("adminA", "POST", "/api/orgs/{orgA}/escalation-rules", Rule, Created),
        new Case("adminA", "PUT", "/api/orgs/{orgA}/escalation-rules/{newRuleA}", """{"priorityLevel":5}""", Ok),
        new Case("adminA", "DELETE", "/api/orgs/{orgA}/escalation-rules/{newRuleA}", null, NoContent),
        new Case("adminA", "GET", "/api/orgs/{orgA}/escalation-rules/{ruleB}", null, NotFound),
        new Case("adminA", "DELETE", "/api/orgs/{orgA}/escalation-rules/{ruleB}", null, NotFound),
        new Case("agentA", "GET", "/api/orgs/{orgA}/escalation-rules", null, Forbidden),
        new Case("agentA", "POST", "/api/orgs/{orgA}/escalation-rules", Rule, Forbidden),
        new Case("agentA", "DELETE", "/api/orgs/{orgA}/escalation-rules/{ruleA}", null, Forbidden),
        new Case("adminB", "GET", "/api/orgs/{orgA}/escalation-rules", null, NotFound),
        new Case("adminB", "PUT", "/api/orgs/{orgA}/escalation-rules/{ruleA}", """{"priorityLevel":1}""", NotFound),
        new Case("customer", "GET", "/api/orgs/{orgA}/escalation-rules", null, NotFound),
        new Case("platformAdmin", "POST", "/api/orgs/{orgA}/escalation-rules", Rule, NotFound),
        new Case("anonymous", "GET", "/api/orgs/{orgA}/escalation-rules", null, Unauthorized));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ActorGetsExactlyWhatTheSeedAllows(Case c)
    {
        var path = await ResolveAsync(c.Path);
        var body = c.Body is null ? null : await ResolveAsync(c.Body);
        var before = await fixture.FingerprintAsync();

        using var request = new HttpRequestMessage(new HttpMethod(c.Method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await World[c.Actor].Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.True(c.Expected == response.StatusCode, $"{c}: got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        if ((int)c.Expected >= 400)
        {
            Assert.Equal(before, await fixture.FingerprintAsync());
        }
    }

    [Fact]
    public async Task CustomerListsOnlyTheirOwnSessions()
    {
        var sessions = await World["customer"].Client.GetFromJsonAsync<List<JsonElement>>("/api/me/sessions", TestContext.Current.CancellationToken);
        Assert.NotEmpty(sessions!);
        Assert.All(sessions!, s => Assert.Equal(World["customer"].UserId, s.GetProperty("userId").GetGuid()));
        Assert.DoesNotContain(sessions!, s => s.GetProperty("id").GetGuid() == World.OtherCustomerSession.Id);
    }

    [Fact]
    public async Task AgentListsTheirOrganizationsSessionsAndNoOther()
    {
        var sessions = await World["agentA"].Client.GetFromJsonAsync<List<JsonElement>>($"/api/orgs/{World.OrgA.Id}/sessions", TestContext.Current.CancellationToken);
        var ids = sessions!.Select(s => s.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(World.CustomerSession.Id, ids);
        Assert.Contains(World.AnonymousSession.Id, ids);
        Assert.DoesNotContain(World.SessionInB.Id, ids);
        Assert.All(sessions!, s => Assert.Equal(World.OrgA.Id, s.GetProperty("organizationId").GetGuid()));
    }

    [Fact]
    public async Task AnonymousSessionHolderReadsOnlyTheirOwnMessages()
    {
        var page = await World["anonymous"].Client.GetFromJsonAsync<JsonElement>($"/api/widget/sessions/{World.AnonymousSession.SessionToken}/messages", TestContext.Current.CancellationToken);
        var contents = page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.Contains("Hello from " + World.AnonymousSession.Id, contents);
        Assert.DoesNotContain(contents, c => c!.Contains(World.CustomerSession.Id.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AgentReadsOnlyTheirOwnAnalyticsAndAdminReadsTheWholeOrganization()
    {
        var url = $"/api/orgs/{World.OrgA.Id}/analytics/agents";
        var agentRows = await World["agentA"].Client.GetFromJsonAsync<List<JsonElement>>(url, TestContext.Current.CancellationToken);
        var adminRows = await World["adminA"].Client.GetFromJsonAsync<List<JsonElement>>(url, TestContext.Current.CancellationToken);
        Assert.Single(agentRows!);
        Assert.Equal(World["agentA"].UserId, agentRows![0].GetProperty("agentId").GetGuid());
        Assert.Equal(2, adminRows!.Count);
        Assert.All(adminRows, r => Assert.Equal(World.OrgA.Id, r.GetProperty("organizationId").GetGuid()));
    }

    [Fact]
    public async Task MembersListOnlyTheirOrganizationsKnowledge()
    {
        var articles = await World["memberA"].Client.GetFromJsonAsync<List<JsonElement>>($"/api/orgs/{World.OrgA.Id}/knowledge", TestContext.Current.CancellationToken);
        var ids = articles!.Select(a => a.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(World.ArticleA.Id, ids);
        Assert.DoesNotContain(World.ArticleB.Id, ids);
        Assert.DoesNotContain(World.GlobalArticle.Id, ids);
    }

    private async Task<string> ResolveAsync(string template)
    {
        var w = World;
        var text = w.Resolve(template);

        // Targets that a successful case changes or deletes are made fresh for that case.
        await using var db = w.Factory.SystemContext();
        if (text.Contains("{newArticleA}", StringComparison.Ordinal))
        {
            var article = new KnowledgeArticle { OrganizationId = w.OrgA.Id, Title = "Fresh", Content = "Fresh content" };
            db.Knowledge.Add(article);
            await db.SaveChangesAsync();
            text = text.Replace("{newArticleA}", article.Id.ToString(), StringComparison.Ordinal);
        }
        if (text.Contains("{newGlobalArticle}", StringComparison.Ordinal))
        {
            var article = new KnowledgeArticle { OrganizationId = null, Title = "Fresh global", Content = "Fresh content" };
            db.Knowledge.Add(article);
            await db.SaveChangesAsync();
            text = text.Replace("{newGlobalArticle}", article.Id.ToString(), StringComparison.Ordinal);
        }
        if (text.Contains("{newRuleA}", StringComparison.Ordinal))
        {
            var rule = new EscalationRule { OrganizationId = w.OrgA.Id, RuleName = "Fresh rule", TriggerKeywords = ["fresh"] };
            db.EscalationRules.Add(rule);
            await db.SaveChangesAsync();
            text = text.Replace("{newRuleA}", rule.Id.ToString(), StringComparison.Ordinal);
        }
        return text;
    }
}

public sealed class SqliteSecurityMatrixTests(WorldFixture<SqliteFactory> fixture) : SecurityMatrixTests<SqliteFactory>(fixture);

public sealed class PostgresSecurityMatrixTests(WorldFixture<PostgresFactory> fixture) : SecurityMatrixTests<PostgresFactory>(fixture);
