using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Switchboard.Features.Knowledge;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Console;

/// <summary>The knowledge, knowledge-gap and answer-test pages as the server renders them for each role.</summary>
public abstract partial class KnowledgeConsoleTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminSeesTheirArticlesWithEditingControlsAndNoOtherOrganizations()
    {
        var html = await PageAsync("adminA", $"/console/orgs/{World.OrgA.Id}/knowledge");

        Assert.Contains(World.ArticleA.Title, html, StringComparison.Ordinal);
        Assert.DoesNotContain(World.ArticleB.Title, html, StringComparison.Ordinal);
        Assert.Contains("New article", html, StringComparison.Ordinal);
        Assert.Contains($"Delete {World.ArticleA.Title}", html, StringComparison.Ordinal);
        Assert.Contains($"/console/orgs/{World.OrgA.Id}/knowledge/answer-tests", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemberReadsTheArticlesButGetsNoEditingControls()
    {
        var html = await PageAsync("memberA", $"/console/orgs/{World.OrgA.Id}/knowledge");

        Assert.Contains(World.ArticleA.Title, html, StringComparison.Ordinal);
        Assert.Contains("Only organization admins can change articles.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("New article", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"Delete {World.ArticleA.Title}", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminOfAnotherOrganizationLearnsNothingAboutItsKnowledge()
    {
        var html = await PageAsync("adminB", $"/console/orgs/{World.OrgA.Id}/knowledge");

        Assert.Contains("This organization does not exist or you are not a member of it.", html, StringComparison.Ordinal);
        Assert.DoesNotContain(World.ArticleA.Title, html, StringComparison.Ordinal);
        Assert.DoesNotContain(World.OrgA.Name, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyPlatformAdminsGetControlsOnTheGlobalKnowledgePage()
    {
        var platform = await PageAsync("platformAdmin", "/console/knowledge/global");
        var admin = await PageAsync("adminA", "/console/knowledge/global");

        Assert.Contains(World.GlobalArticle.Title, platform, StringComparison.Ordinal);
        Assert.Contains("New article", platform, StringComparison.Ordinal);
        Assert.Contains(World.GlobalArticle.Title, admin, StringComparison.Ordinal);
        Assert.Contains("only platform admins manage them", admin, StringComparison.Ordinal);
        Assert.DoesNotContain("New article", admin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheGapReportIsForAgentsAndAdmins()
    {
        var agent = await PageAsync("agentA", $"/console/orgs/{World.OrgA.Id}/knowledge/gaps");
        var member = await PageAsync("memberA", $"/console/orgs/{World.OrgA.Id}/knowledge/gaps");

        Assert.Contains("grouped by meaning", agent, StringComparison.Ordinal);
        Assert.Contains("agents and admins see it", member, StringComparison.Ordinal);
        Assert.DoesNotContain("grouped by meaning", member, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminSeesTheTestQuestionsAndTheRunButtonAgentsDoNot()
    {
        var question = "Do you ship to Iceland " + Guid.NewGuid().ToString("N")[..6] + "?";
        await using (var db = World.Factory.SystemContext())
        {
            db.AnswerTests.Add(new KnowledgeAnswerTest { OrganizationId = World.OrgA.Id, Question = question, Expect = AnswerExpectations.NoAnswer });
            await db.SaveChangesAsync(Ct);
        }

        var admin = await PageAsync("adminA", $"/console/orgs/{World.OrgA.Id}/knowledge/answer-tests");
        var agent = await PageAsync("agentA", $"/console/orgs/{World.OrgA.Id}/knowledge/answer-tests");
        var stranger = await PageAsync("adminB", $"/console/orgs/{World.OrgA.Id}/knowledge/answer-tests");

        Assert.Contains(question, admin, StringComparison.Ordinal);
        Assert.Contains("Run now", admin, StringComparison.Ordinal);
        Assert.Contains("Only organization admins manage answer tests.", agent, StringComparison.Ordinal);
        Assert.DoesNotContain(question, agent, StringComparison.Ordinal);
        Assert.DoesNotContain(question, stranger, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLatestRunShowsItsMetricsAndRegressions()
    {
        var org = World.OrgB; // its own organization, so no other test's runs come later
        var test = Guid.NewGuid();
        await using (var db = World.Factory.SystemContext())
        {
            db.AnswerTestRuns.Add(new KnowledgeAnswerTestRun
            {
                OrganizationId = org.Id, Status = AnswerTestRunStatus.Completed, Questions = 4, OverallAccuracy = 0.75,
                Regressions = $$"""[{"testId":"{{test}}","question":"Where is my parcel right now?","expect":"answer"}]""",
            });
            await db.SaveChangesAsync(Ct);
        }

        var html = await PageAsync("adminB", $"/console/orgs/{org.Id}/knowledge/answer-tests");

        Assert.Contains("0.750", html, StringComparison.Ordinal);
        Assert.Contains("1 regression(s) since the previous run", html, StringComparison.Ordinal);
        Assert.Contains("Where is my parcel right now?", html, StringComparison.Ordinal);
    }

    private async Task<string> PageAsync(string actor, string path)
    {
        using var browser = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var form = await browser.GetStringAsync("/account/login", Ct);
        var token = AntiforgeryField().Match(form);
        Assert.True(token.Success, "the sign-in form carries an antiforgery token");
        using var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = World[actor].Email!,
            ["password"] = TestWorld.Password,
            ["returnUrl"] = "",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        using var response = await browser.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

public sealed class SqliteKnowledgeConsoleTests(WorldFixture<SqliteFactory> fixture) : KnowledgeConsoleTests<SqliteFactory>(fixture);

public sealed class PostgresKnowledgeConsoleTests(WorldFixture<PostgresFactory> fixture) : KnowledgeConsoleTests<PostgresFactory>(fixture);
