using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Cli;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Ai;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Knowledge;

public sealed class AnswerTestScoringTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Ai", "Fixtures", name);

    [Fact]
    public async Task ARunScoresTheSameQuestionsExactlyAsEvalDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        var articles = EvalCommand.ReadArticles(new FileInfo(Fixture("eval-articles.jsonl")));
        var questions = EvalCommand.ReadQuestions(new FileInfo(Fixture("eval-questions.jsonl")), articles.Select(a => a.Id).ToHashSet());
        var eval = await EvalCommand.RunAsync(articles, questions, [], ct);

        await using var host = new AiHost();
        await host.InitializeAsync();
        var org = await host.CreateOrganizationAsync();
        var rows = await host.AddArticlesAsync(org.Id, [.. articles.Select(a => (a.Title, a.Content))]);
        var ids = articles.Select((a, i) => (a.Id, rows[i].Id)).ToDictionary(p => p.Item1, p => p.Item2);
        var run = new KnowledgeAnswerTestRun { OrganizationId = org.Id };
        await using (var db = host.SystemDb.CreateContext())
        {
            foreach (var q in questions)
            {
                db.AnswerTests.Add(new KnowledgeAnswerTest
                {
                    OrganizationId = org.Id, Question = q.Question, Expect = q.Expect,
                    ExpectedArticleId = q.ExpectedArticleId is { } e ? ids[e] : null,
                });
                await db.SaveChangesAsync(ct); // one by one: the run keeps their order
            }
            db.AnswerTestRuns.Add(run);
            await db.SaveChangesAsync(ct);
        }

        await host.Get<AnswerTestRunner>().RunAsync(run.Id, ct);

        await using var read = host.SystemDb.CreateContext();
        var done = read.AnswerTestRuns.Single(r => r.Id == run.Id);
        var json = eval.ToJson();
        Assert.Equal(AnswerTestRunStatus.Completed, done.Status);
        Assert.Equal((int)json["questions"]!, done.Questions);
        Assert.Equal((double?)json["answer_accuracy"], done.AnswerAccuracy);
        Assert.Equal((double?)json["recall_at_5"], done.RecallAt5);
        Assert.Equal((double?)json["mrr"], done.Mrr);
        Assert.Equal((double?)json["no_answer_precision"], done.NoAnswerPrecision);
        Assert.Equal((double?)json["no_answer_recall"], done.NoAnswerRecall);
        Assert.Equal((double?)json["overall_accuracy"], done.OverallAccuracy);
        Assert.Equal("[]", done.Regressions); // the first run has nothing to regress from
    }
}

public sealed class SqliteQuickAnswerTestsFactory : SqliteFactory
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Knowledge:AnswerTests:DebounceSeconds"] = "0.2";
        settings["Knowledge:AnswerTests:AutoRun"] = "true";
    }
}

public sealed class PostgresQuickAnswerTestsFactory : PostgresFactory
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Knowledge:AnswerTests:DebounceSeconds"] = "0.2";
        settings["Knowledge:AnswerTests:AutoRun"] = "true";
    }
}

/// <summary>Answer tests over HTTP: runs, regressions against the previous run, and runs started by knowledge changes.</summary>
public abstract class AnswerTestsTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestWorld World => fixture.World;
    private HttpClient Admin => World["adminA"].Client;

    [Fact]
    public async Task ARunFlagsTheQuestionsThatPassedBeforeAndFailNow()
    {
        var org = await OrganizationAsync();
        var shipping = await ArticleAsync(org, "Shipping times and costs", ShopKnowledge.Articles[0].Content);
        await ArticleAsync(org, "Returns and refunds", ShopKnowledge.Articles[1].Content);
        await ArticleAsync(org, "Payment methods", ShopKnowledge.Articles[3].Content);
        var express = await TestAsync(org, "How long does express delivery take?", shipping);
        await TestAsync(org, "What is a good recipe for lasagna?", null);

        var first = await RunAsync(org);
        Assert.Equal(1.0, first.GetProperty("metrics").GetProperty("overallAccuracy").GetDouble());
        Assert.Empty(first.GetProperty("regressions").EnumerateArray());

        // The shipping article now says something else: the express question can no longer pass.
        using (var edit = await Admin.PatchAsJsonAsync($"/api/orgs/{org}/knowledge/{shipping}",
                   new { title = "Gift wrapping", content = "We wrap any order as a gift for 3 EUR; choose it at checkout." }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        }
        var second = await RunAsync(org);

        Assert.Equal(0.5, second.GetProperty("metrics").GetProperty("overallAccuracy").GetDouble());
        var results = second.GetProperty("results").EnumerateArray().ToList();
        Assert.False(results.Single(r => r.GetProperty("testId").GetGuid() == express).GetProperty("passed").GetBoolean());
        var latest = await Admin.GetFromJsonAsync<JsonElement>($"/api/orgs/{org}/knowledge/answer-tests/runs/latest", Ct);
        var history = await Admin.GetFromJsonAsync<List<JsonElement>>($"/api/orgs/{org}/knowledge/answer-tests/runs", Ct);
        // The history is newest first, and /latest is its head (the change may also have started a run of its own).
        Assert.Equal(history![0].GetProperty("id").GetGuid(), latest.GetProperty("id").GetGuid());
        Assert.Contains(history, r => r.GetProperty("id").GetGuid() == second.GetProperty("id").GetGuid());
        // Automatic runs of the knowledge changes may have come in between. Runs are executed one at a time in the
        // order they were created, so the first run in which the express question fails compares with a run in
        // which it passed: that run, whichever it is, flags the regression.
        var ids = history.Select(r => r.GetProperty("id").GetGuid()).ToList();
        var newestFirst = ids.GetRange(ids.IndexOf(second.GetProperty("id").GetGuid()),
            ids.IndexOf(first.GetProperty("id").GetGuid()) - ids.IndexOf(second.GetProperty("id").GetGuid()));
        JsonElement? flagging = null;
        foreach (var id in Enumerable.Reverse(newestFirst))
        {
            var run = await Admin.GetFromJsonAsync<JsonElement>($"/api/orgs/{org}/knowledge/answer-tests/runs/{id}", Ct);
            if (run.GetProperty("results").EnumerateArray().Any(x => x.GetProperty("testId").GetGuid() == express && !x.GetProperty("passed").GetBoolean()))
            {
                flagging = run;
                break;
            }
        }
        Assert.NotNull(flagging);
        var regression = Assert.Single(flagging.Value.GetProperty("regressions").EnumerateArray());
        Assert.Equal(express, regression.GetProperty("testId").GetGuid());
    }

    [Fact]
    public async Task ChangingAnArticleRunsTheTestsByItself()
    {
        var org = await OrganizationAsync();
        var returns = await ArticleAsync(org, "Returns and refunds", ShopKnowledge.Articles[1].Content);
        await TestAsync(org, "How many days do I have to return an item?", returns);

        using (var edit = await Admin.PatchAsJsonAsync($"/api/orgs/{org}/knowledge/{returns}", new { tags = new[] { "returns" } }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        }

        // Bounded: the debounce is 0.2 s here and a run of one question well under a second.
        for (var attempt = 0; ; attempt++)
        {
            var runs = await Admin.GetFromJsonAsync<List<JsonElement>>($"/api/orgs/{org}/knowledge/answer-tests/runs", Ct);
            var auto = runs!.Where(r => r.GetProperty("trigger").GetString() == AnswerTestTriggers.KnowledgeChange).ToList();
            if (auto.Any(r => r.GetProperty("status").GetString() == AnswerTestRunStatus.Completed))
            {
                Assert.Equal(1.0, auto.First(r => r.GetProperty("status").GetString() == AnswerTestRunStatus.Completed)
                    .GetProperty("metrics").GetProperty("overallAccuracy").GetDouble());
                break;
            }
            Assert.True(attempt < 120, "No run followed the knowledge change: " + JsonSerializer.Serialize(runs));
            await Task.Delay(250, Ct);
        }
    }

    [Fact]
    public async Task ADeletedTestQuestionIsNoLongerListed()
    {
        var org = await OrganizationAsync();
        var test = await TestAsync(org, "Do you ship to Mars?", null);

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/orgs/{org}/knowledge/answer-tests/{test}", Ct)).StatusCode);

        Assert.Empty((await Admin.GetFromJsonAsync<List<JsonElement>>($"/api/orgs/{org}/knowledge/answer-tests", Ct))!);
    }

    /// <summary>A fresh organization with adminA as its admin, so tests never share questions or runs.</summary>
    private async Task<Guid> OrganizationAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Tests " + suffix, Slug = "tests-" + suffix };
        await using var db = World.Factory.SystemContext();
        db.Organizations.Add(org);
        db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = World["adminA"].UserId!.Value, Role = OrgRoles.Admin });
        await db.SaveChangesAsync(Ct);
        return org.Id;
    }

    private async Task<Guid> ArticleAsync(Guid org, string title, string content)
    {
        using var response = await Admin.PostAsJsonAsync($"/api/orgs/{org}/knowledge", new { title, content }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }

    private async Task<Guid> TestAsync(Guid org, string question, Guid? article)
    {
        using var response = await Admin.PostAsJsonAsync($"/api/orgs/{org}/knowledge/answer-tests",
            new { question, expectedArticleId = article, expect = article is null ? "no_answer" : "answer" }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }

    /// <summary>Starts a run and waits (bounded) until it has finished.</summary>
    private async Task<JsonElement> RunAsync(Guid org)
    {
        using var start = await Admin.PostAsync($"/api/orgs/{org}/knowledge/answer-tests/runs", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.ToString();
        for (var attempt = 0; ; attempt++)
        {
            var run = await Admin.GetFromJsonAsync<JsonElement>(location, Ct);
            var status = run.GetProperty("status").GetString();
            if (status is AnswerTestRunStatus.Completed or AnswerTestRunStatus.Failed)
            {
                Assert.Equal(AnswerTestRunStatus.Completed, status);
                return run;
            }
            Assert.True(attempt < 240, "The run did not finish: " + run);
            await Task.Delay(250, Ct);
        }
    }
}

public sealed class SqliteAnswerTestsTests(WorldFixture<SqliteQuickAnswerTestsFactory> fixture) : AnswerTestsTests<SqliteQuickAnswerTestsFactory>(fixture);

public sealed class PostgresAnswerTestsTests(WorldFixture<PostgresQuickAnswerTestsFactory> fixture) : AnswerTestsTests<PostgresQuickAnswerTestsFactory>(fixture);
