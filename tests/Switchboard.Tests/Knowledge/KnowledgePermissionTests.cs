using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Knowledge;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Knowledge;

/// <summary>
/// Every knowledge endpoint (articles, global articles, gaps, answer tests and their runs) against
/// every role, on both providers. Organization articles: members read, admins write; global
/// articles: everyone reads, platform admins write; gaps: agents and admins; answer tests: admins.
/// A refused request changes nothing.
/// </summary>
public abstract class KnowledgePermissionTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static readonly string[] Roles = ["anonymous", "customer", "memberA", "agentA", "adminA", "adminB", "platformAdmin"];

    /// <summary>Who may call an endpoint.</summary>
    public enum Rule { OrgMember, OrgAgent, OrgAdmin, Everyone, PlatformAdmin }

    public sealed record Endpoint(string Method, string Path, string? Body, Rule Rule, HttpStatusCode Success);

    private const string Article = """{"title":"New article","content":"Body text","category":"faq","tags":["a"]}""";

    public static readonly Endpoint[] Endpoints =
    [
        new("GET", "/api/orgs/{orgA}/knowledge", null, Rule.OrgMember, HttpStatusCode.OK),
        new("GET", "/api/orgs/{orgA}/knowledge?q=returns&isActive=true&limit=10", null, Rule.OrgMember, HttpStatusCode.OK),
        new("GET", "/api/orgs/{orgA}/knowledge/{articleA}", null, Rule.OrgMember, HttpStatusCode.OK),
        new("POST", "/api/orgs/{orgA}/knowledge", Article, Rule.OrgAdmin, HttpStatusCode.Created),
        new("PUT", "/api/orgs/{orgA}/knowledge/{newArticleA}", """{"title":"Edited"}""", Rule.OrgAdmin, HttpStatusCode.OK),
        new("PATCH", "/api/orgs/{orgA}/knowledge/{newArticleA}", """{"isActive":false}""", Rule.OrgAdmin, HttpStatusCode.OK),
        new("DELETE", "/api/orgs/{orgA}/knowledge/{newArticleA}", null, Rule.OrgAdmin, HttpStatusCode.NoContent),
        new("GET", "/api/knowledge/global", null, Rule.Everyone, HttpStatusCode.OK),
        new("GET", "/api/knowledge/global/{globalArticle}", null, Rule.Everyone, HttpStatusCode.OK),
        new("POST", "/api/knowledge/global", Article, Rule.PlatformAdmin, HttpStatusCode.Created),
        new("PUT", "/api/knowledge/global/{newGlobalArticle}", """{"title":"Edited globally"}""", Rule.PlatformAdmin, HttpStatusCode.OK),
        new("PATCH", "/api/knowledge/global/{newGlobalArticle}", """{"isActive":false}""", Rule.PlatformAdmin, HttpStatusCode.OK),
        new("DELETE", "/api/knowledge/global/{newGlobalArticle}", null, Rule.PlatformAdmin, HttpStatusCode.NoContent),
        new("GET", "/api/orgs/{orgA}/knowledge/gaps", null, Rule.OrgAgent, HttpStatusCode.OK),
        new("POST", "/api/orgs/{orgA}/knowledge/search", """{"question":"How long do returns take?"}""", Rule.OrgAgent, HttpStatusCode.OK),
        new("GET", "/api/orgs/{orgA}/knowledge/answer-tests", null, Rule.OrgAdmin, HttpStatusCode.OK),
        new("POST", "/api/orgs/{orgA}/knowledge/answer-tests", """{"question":"How long do returns take?","expectedArticleId":"{articleA}","expect":"answer"}""", Rule.OrgAdmin, HttpStatusCode.Created),
        new("DELETE", "/api/orgs/{orgA}/knowledge/answer-tests/{newTestA}", null, Rule.OrgAdmin, HttpStatusCode.NoContent),
        new("POST", "/api/orgs/{orgA}/knowledge/answer-tests/runs", null, Rule.OrgAdmin, HttpStatusCode.Accepted),
        new("GET", "/api/orgs/{orgA}/knowledge/answer-tests/runs", null, Rule.OrgAdmin, HttpStatusCode.OK),
        new("GET", "/api/orgs/{orgA}/knowledge/answer-tests/runs/latest", null, Rule.OrgAdmin, HttpStatusCode.OK),
        new("GET", "/api/orgs/{orgA}/knowledge/answer-tests/runs/{runA}", null, Rule.OrgAdmin, HttpStatusCode.OK),
    ];

    public sealed record Case(string Actor, string Method, string Path, string? Body, HttpStatusCode Expected)
    {
        public override string ToString() => $"{Actor} {Method} {Path} -> {(int)Expected}";
    }

    public static HttpStatusCode Expected(Rule rule, string role, HttpStatusCode success) => (rule, role) switch
    {
        (Rule.Everyone, _) => success,
        (_, "anonymous") => HttpStatusCode.Unauthorized,
        (Rule.PlatformAdmin, "platformAdmin") => success,
        (Rule.PlatformAdmin, _) => HttpStatusCode.Forbidden,
        // Strangers to organization A (customers, B's admin, platform admins) learn nothing: 404.
        (_, "customer" or "adminB" or "platformAdmin") => HttpStatusCode.NotFound,
        (_, "adminA") => success,
        (Rule.OrgMember, "memberA" or "agentA") => success,
        (Rule.OrgAgent, "agentA") => success,
        _ => HttpStatusCode.Forbidden,
    };

    public static TheoryData<Case> Cases()
    {
        var data = new TheoryData<Case>();
        foreach (var e in Endpoints)
            foreach (var role in Roles)
                data.Add(new Case(role, e.Method, e.Path, e.Body, Expected(e.Rule, role, e.Success)));
        // Another organization's rows through one's own organization's routes: not found.
        data.Add(new Case("adminA", "GET", "/api/orgs/{orgA}/knowledge/{articleB}", null, HttpStatusCode.NotFound));
        data.Add(new Case("adminA", "PATCH", "/api/orgs/{orgA}/knowledge/{articleB}", """{"isActive":false}""", HttpStatusCode.NotFound));
        data.Add(new Case("adminA", "DELETE", "/api/orgs/{orgA}/knowledge/{articleB}", null, HttpStatusCode.NotFound));
        data.Add(new Case("adminA", "PATCH", "/api/orgs/{orgA}/knowledge/{globalArticle}", """{"isActive":false}""", HttpStatusCode.NotFound));
        data.Add(new Case("adminA", "DELETE", "/api/orgs/{orgA}/knowledge/answer-tests/{testB}", null, HttpStatusCode.NotFound));
        data.Add(new Case("adminA", "GET", "/api/orgs/{orgA}/knowledge/answer-tests/runs/{runB}", null, HttpStatusCode.NotFound));
        data.Add(new Case("adminB", "GET", "/api/orgs/{orgB}/knowledge/answer-tests/runs/{runA}", null, HttpStatusCode.NotFound));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryRoleGetsExactlyWhatTheKnowledgeRulesAllow(Case c)
    {
        var path = await ResolveAsync(c.Path);
        var body = c.Body is null ? null : await ResolveAsync(c.Body);
        var before = await FingerprintAsync();

        using var request = new HttpRequestMessage(new HttpMethod(c.Method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await World[c.Actor].Client.SendAsync(request, Ct);

        Assert.True(c.Expected == response.StatusCode, $"{c}: got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        if ((int)c.Expected >= 400)
        {
            Assert.Equal(before, await FingerprintAsync());
        }
    }

    /// <summary>The seed tables and the answer-test tables (runs by identity only: a queued run finishing meanwhile is no write by the caller).</summary>
    private async Task<string> FingerprintAsync()
    {
        var text = new StringBuilder(await fixture.FingerprintAsync());
        await using var db = World.Factory.SystemContext();
        foreach (var t in await db.AnswerTests.AsNoTracking().OrderBy(t => t.Id).ToListAsync(Ct))
            text.AppendLine($"T {t.Id} {t.OrganizationId} {t.Question} {t.ExpectedArticleId} {t.Expect}");
        foreach (var r in await db.AnswerTestRuns.AsNoTracking().OrderBy(r => r.Id).ToListAsync(Ct))
            text.AppendLine($"R {r.Id} {r.OrganizationId} {r.Trigger}");
        return text.ToString();
    }

    private async Task<string> ResolveAsync(string template)
    {
        var w = World;
        var text = w.Resolve(template);
        await using var db = w.Factory.SystemContext();

        async Task<Guid> ArticleAsync(Guid? org)
        {
            var article = new KnowledgeArticle { OrganizationId = org, Title = "Fresh", Content = "Fresh content" };
            db.Knowledge.Add(article);
            await db.SaveChangesAsync(Ct);
            return article.Id;
        }
        async Task<Guid> TestAsync(Guid org)
        {
            var test = new KnowledgeAnswerTest { OrganizationId = org, Question = "Is anything open on Sunday?", Expect = AnswerExpectations.NoAnswer };
            db.AnswerTests.Add(test);
            await db.SaveChangesAsync(Ct);
            return test.Id;
        }
        async Task<Guid> RunAsync(Guid org)
        {
            var run = new KnowledgeAnswerTestRun { OrganizationId = org, Status = AnswerTestRunStatus.Completed, FinishedAt = DateTimeOffset.UtcNow };
            db.AnswerTestRuns.Add(run);
            await db.SaveChangesAsync(Ct);
            return run.Id;
        }

        if (text.Contains("{newArticleA}", StringComparison.Ordinal)) text = text.Replace("{newArticleA}", (await ArticleAsync(w.OrgA.Id)).ToString(), StringComparison.Ordinal);
        if (text.Contains("{newGlobalArticle}", StringComparison.Ordinal)) text = text.Replace("{newGlobalArticle}", (await ArticleAsync(null)).ToString(), StringComparison.Ordinal);
        if (text.Contains("{newTestA}", StringComparison.Ordinal)) text = text.Replace("{newTestA}", (await TestAsync(w.OrgA.Id)).ToString(), StringComparison.Ordinal);
        if (text.Contains("{testB}", StringComparison.Ordinal)) text = text.Replace("{testB}", (await TestAsync(w.OrgB.Id)).ToString(), StringComparison.Ordinal);
        if (text.Contains("{runA}", StringComparison.Ordinal)) text = text.Replace("{runA}", (await RunAsync(w.OrgA.Id)).ToString(), StringComparison.Ordinal);
        if (text.Contains("{runB}", StringComparison.Ordinal)) text = text.Replace("{runB}", (await RunAsync(w.OrgB.Id)).ToString(), StringComparison.Ordinal);
        // Runs need questions to run and a latest run to show.
        if (text.EndsWith("/answer-tests/runs", StringComparison.Ordinal) && !await db.AnswerTests.AnyAsync(t => t.OrganizationId == w.OrgA.Id, Ct)) await TestAsync(w.OrgA.Id);
        if (text.EndsWith("/runs/latest", StringComparison.Ordinal) && !await db.AnswerTestRuns.AnyAsync(r => r.OrganizationId == w.OrgA.Id, Ct)) await RunAsync(w.OrgA.Id);
        return text;
    }
}

public sealed class SqliteKnowledgePermissionTests(WorldFixture<SqliteFactory> fixture) : KnowledgePermissionTests<SqliteFactory>(fixture);

public sealed class PostgresKnowledgePermissionTests(WorldFixture<PostgresFactory> fixture) : KnowledgePermissionTests<PostgresFactory>(fixture);
