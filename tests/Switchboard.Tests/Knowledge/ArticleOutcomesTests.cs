using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Knowledge;

/// <summary>
/// effectiveness_score learns from outcomes over HTTP: the widget's thumbs and "talk to a person", a
/// signed-in customer's PATCH of their session's status. AI answers are stored with the sources they
/// cite (as ConversationService stores them), so each test knows exactly which articles were cited.
/// </summary>
public abstract class ArticleOutcomesTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThumbsUpThenDownOnTheSameAnswerCountsOnceAsTheLatest()
    {
        var (article, other) = (await ArticleAsync(World.OrgA.Id), await ArticleAsync(World.OrgA.Id));
        var (token, session) = await WidgetSessionAsync();
        var answer = await AiAnswerAsync(session, article);

        await RateAsync(token, answer, helpful: true);
        await RateAsync(token, answer, helpful: false);

        var rows = await OutcomesAsync(article);
        var row = Assert.Single(rows);
        Assert.Equal((OutcomeKinds.Feedback, answer, false), (row.Kind, row.MessageId, row.Positive));
        Assert.Equal(Stored(0, 1), await ScoreAsync(article));
        Assert.Empty(await OutcomesAsync(other));
        Assert.Equal(0m, await ScoreAsync(other));
        // The thumb is on the message too, as the latest click said.
        await using var db = World.Factory.SystemContext();
        var metadata = await db.Messages.Where(m => m.Id == answer).Select(m => m.AiMetadata).SingleAsync(Ct);
        Assert.False(JsonDocument.Parse(metadata!).RootElement.GetProperty("feedback").GetProperty("helpful").GetBoolean());
    }

    [Fact]
    public async Task TheSameFeedbackPostedTwiceCountsOnceForEachCitedArticle()
    {
        var (first, second) = (await ArticleAsync(World.OrgA.Id), await ArticleAsync(World.OrgA.Id));
        var (token, session) = await WidgetSessionAsync();
        var answer = await AiAnswerAsync(session, first, second);

        await RateAsync(token, answer, helpful: true);
        await RateAsync(token, answer, helpful: true);

        Assert.True(Assert.Single(await OutcomesAsync(first)).Positive);
        Assert.True(Assert.Single(await OutcomesAsync(second)).Positive);
        Assert.Equal(Stored(1, 0), await ScoreAsync(first));
        Assert.Equal(Stored(1, 0), await ScoreAsync(second));
    }

    [Fact]
    public async Task EscalatingAfterAnAnswerGivesANegativeOutcomeToTheArticlesItCitedOnly()
    {
        var (cited, alsoCited, notCited) = (await ArticleAsync(World.OrgA.Id), await ArticleAsync(World.OrgA.Id), await ArticleAsync(World.OrgA.Id));
        var (token, session) = await WidgetSessionAsync();
        await AiAnswerAsync(session, cited);
        await AiAnswerAsync(session, alsoCited, cited);

        var client = World.Factory.CreateClient();
        (await client.PostAsync($"/api/widget/sessions/{token}/escalate", null, Ct)).EnsureSuccessStatusCode();
        (await client.PostAsync($"/api/widget/sessions/{token}/escalate", null, Ct)).EnsureSuccessStatusCode(); // a second click

        foreach (var article in new[] { cited, alsoCited })
        {
            var row = Assert.Single(await OutcomesAsync(article));
            Assert.Equal((OutcomeKinds.Session, (Guid?)null, false, session), (row.Kind, row.MessageId, row.Positive, row.SessionId));
            Assert.Equal(Stored(0, 1), await ScoreAsync(article));
        }
        Assert.Empty(await OutcomesAsync(notCited));
        Assert.Equal(0m, await ScoreAsync(notCited));
    }

    [Fact]
    public async Task ResolvingASessionThatWasNeverEscalatedGivesAPositiveOutcome()
    {
        var article = await ArticleAsync(World.OrgA.Id);
        var session = await CustomerSessionAsync();
        await AiAnswerAsync(session, article);

        await PatchStatusAsync(session, SessionStatus.Resolved);
        await PatchStatusAsync(session, SessionStatus.Resolved); // a retry

        var row = Assert.Single(await OutcomesAsync(article));
        Assert.Equal((OutcomeKinds.Session, true), (row.Kind, row.Positive));
        Assert.Equal(Stored(1, 0), await ScoreAsync(article));
    }

    [Fact]
    public async Task ASessionEscalatedAndThenResolvedKeepsItsNegativeOutcome()
    {
        var article = await ArticleAsync(World.OrgA.Id);
        var session = await CustomerSessionAsync();
        await AiAnswerAsync(session, article);

        await PatchStatusAsync(session, SessionStatus.Escalated);
        await PatchStatusAsync(session, SessionStatus.Resolved);
        await PatchStatusAsync(session, SessionStatus.Active);
        await PatchStatusAsync(session, SessionStatus.Resolved);

        Assert.False(Assert.Single(await OutcomesAsync(article)).Positive);
        Assert.Equal(Stored(0, 1), await ScoreAsync(article));
    }

    [Fact]
    public async Task EscalatingAfterAResolutionTurnsItsPositiveOutcomeNegative()
    {
        var article = await ArticleAsync(World.OrgA.Id);
        var session = await CustomerSessionAsync();
        await AiAnswerAsync(session, article);

        await PatchStatusAsync(session, SessionStatus.Resolved);
        await PatchStatusAsync(session, SessionStatus.Escalated);

        Assert.False(Assert.Single(await OutcomesAsync(article)).Positive);
        Assert.Equal(Stored(0, 1), await ScoreAsync(article));
    }

    [Fact]
    public async Task TheScoreIsTheBayesianAverageOfAllTheArticlesOutcomes()
    {
        var article = await ArticleAsync(World.OrgA.Id);
        var outcomes = World.Factory.Services.GetRequiredService<ArticleOutcomes>();
        // Three answers rated helpful, one not; two sessions resolved, one escalated: 5 positive, 2 negative.
        foreach (var helpful in new[] { true, true, true, false })
        {
            var (_, session) = await WidgetSessionAsync();
            await outcomes.FeedbackAsync(session, await AiAnswerAsync(session, article), helpful, Ct);
        }
        foreach (var escalated in new[] { false, false, true })
        {
            var (_, session) = await WidgetSessionAsync();
            await AiAnswerAsync(session, article);
            if (escalated) await outcomes.SessionEscalatedAsync(session, Ct);
            else await outcomes.SessionResolvedAsync(session, Ct);
        }

        // (5 + 5 × 0.5) / (5 + 2 + 5) = 7.5 / 12
        Assert.Equal(0.625m, await ScoreAsync(article));
        Assert.Equal(7, (await OutcomesAsync(article)).Count);
    }

    [Fact]
    public async Task AnotherOrganizationsOutcomesNeverTouchThisOrganizationsArticles()
    {
        var mine = await ArticleAsync(World.OrgA.Id);
        var theirs = await ArticleAsync(World.OrgB.Id);
        // A session in B whose stored answer names A's article (forged metadata) and B's own.
        var (token, session) = await WidgetSessionAsync(World.OrgB.WidgetKey);
        var answer = await AiAnswerAsync(session, mine, theirs);

        await RateAsync(token, answer, helpful: false);
        (await World.Factory.CreateClient().PostAsync($"/api/widget/sessions/{token}/escalate", null, Ct)).EnsureSuccessStatusCode();

        Assert.Empty(await OutcomesAsync(mine));
        Assert.Equal(0m, await ScoreAsync(mine));
        Assert.Equal(2, (await OutcomesAsync(theirs)).Count);
        Assert.Equal(Stored(0, 2), await ScoreAsync(theirs));
    }

    [Fact]
    public async Task AGlobalArticleLearnsPerOrganizationAndItsSharedScoreStaysUnchanged()
    {
        var global = await ArticleAsync(null);
        var outcomes = World.Factory.Services.GetRequiredService<ArticleOutcomes>();
        var (_, session) = await WidgetSessionAsync(World.OrgB.WidgetKey);
        await outcomes.FeedbackAsync(session, await AiAnswerAsync(session, global), helpful: true, Ct);

        Assert.Equal(OutcomeKinds.Feedback, Assert.Single(await OutcomesAsync(global)).Kind);
        Assert.Equal(0m, await ScoreAsync(global));
        var cache = World.Factory.Services.GetRequiredService<ArticleScoreCache>();
        Assert.Equal(ArticleScores.Effectiveness(1, 0), (await cache.GetAsync(World.OrgB.Id, Ct))[global], 6);
        Assert.Equal(ArticleScores.Prior, (await cache.GetAsync(World.OrgA.Id, Ct))[global], 6);
    }

    [Fact]
    public async Task RatingAMessageOfAnotherChatOrNotAnAnswerIsAProblemAndRecordsNothing()
    {
        var article = await ArticleAsync(World.OrgA.Id);
        var (token, _) = await WidgetSessionAsync();
        var (_, otherSession) = await WidgetSessionAsync();
        var elsewhere = await AiAnswerAsync(otherSession, article);
        var client = World.Factory.CreateClient();

        using var notHere = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/feedback", new { messageId = elsewhere, helpful = true }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, notHere.StatusCode);
        Assert.Equal("messageId", (await notHere.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("field").GetString());

        await using (var db = World.Factory.SystemContext())
        {
            var own = await db.Sessions.Where(s => s.SessionToken == token).Select(s => s.Id).SingleAsync(Ct);
            var question = await MessageLog.AppendAsync(db, own, MessageTypes.User, "Where is my parcel?", "q-1", null, Ct);
            using var notAnswer = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/feedback", new { messageId = question.MessageId, helpful = true }, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, notAnswer.StatusCode);
        }
        Assert.Empty(await OutcomesAsync(article));
        Assert.Equal(0m, await ScoreAsync(article));
    }

    private static decimal Stored(int positive, int negative) => ArticleOutcomes.StoredScore(positive, negative);

    private async Task<Guid> ArticleAsync(Guid? organizationId)
    {
        var article = new KnowledgeArticle { OrganizationId = organizationId, Title = "Outcome article " + Guid.NewGuid().ToString("N")[..8], Content = "Some help." };
        await using var db = World.Factory.SystemContext();
        db.Knowledge.Add(article);
        await db.SaveChangesAsync(Ct);
        return article.Id;
    }

    private async Task<(string Token, Guid SessionId)> WidgetSessionAsync(string? orgKey = null)
    {
        var response = await World.Factory.CreateClient().PostAsJsonAsync("/api/widget/sessions", new { orgKey = orgKey ?? World.OrgA.WidgetKey }, Ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (body.GetProperty("sessionToken").GetString()!, body.GetProperty("sessionId").GetGuid());
    }

    private async Task<Guid> CustomerSessionAsync()
    {
        var response = await World["customer"].Client.PostAsJsonAsync("/api/me/sessions", new { orgKey = World.OrgA.WidgetKey }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }

    /// <summary>A customer question and the AI answer to it citing <paramref name="cited"/>, stored as ConversationService stores them.</summary>
    private async Task<Guid> AiAnswerAsync(Guid sessionId, params Guid[] cited)
    {
        await using var db = World.Factory.SystemContext();
        var question = await MessageLog.AppendAsync(db, sessionId, MessageTypes.User, "How do I do this?", null, null, Ct);
        var metadata = new AiMetadata([.. cited.Select(id => new AiSource(id, "cited", 0.8))], 0.9, AiDecisions.Answer, "extractive", 1, null, null,
            question.Seq, [.. cited.Select(id => new AiRetrieved(id, 0.8))]);
        var answer = await MessageLog.AppendAsync(db, sessionId, MessageTypes.Ai, "Here is how.", ConversationService.ReplyKey(question.Seq), null, Ct, metadata.ToJson());
        return answer.MessageId;
    }

    private async Task RateAsync(string token, Guid messageId, bool helpful)
    {
        using var response = await World.Factory.CreateClient().PostAsJsonAsync($"/api/widget/sessions/{token}/feedback", new { messageId, helpful }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task PatchStatusAsync(Guid sessionId, string status)
    {
        using var response = await World["customer"].Client.PatchAsJsonAsync($"/api/me/sessions/{sessionId}", new { status }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<List<KnowledgeArticleOutcome>> OutcomesAsync(Guid articleId)
    {
        await using var db = World.Factory.SystemContext();
        return await db.ArticleOutcomes.AsNoTracking().Where(o => o.ArticleId == articleId).ToListAsync(Ct);
    }

    private async Task<decimal?> ScoreAsync(Guid articleId)
    {
        await using var db = World.Factory.SystemContext();
        return await db.Knowledge.Where(a => a.Id == articleId).Select(a => a.EffectivenessScore).SingleAsync(Ct);
    }
}

public sealed class SqliteArticleOutcomesTests(WorldFixture<SqliteFactory> fixture) : ArticleOutcomesTests<SqliteFactory>(fixture);

public sealed class PostgresArticleOutcomesTests(WorldFixture<PostgresFactory> fixture) : ArticleOutcomesTests<PostgresFactory>(fixture);
