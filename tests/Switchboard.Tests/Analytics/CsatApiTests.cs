using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Analytics;
using Switchboard.Features.Escalation;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Analytics;

/// <summary>POST /api/widget/sessions/{token}/csat: resolved chats only, a valid score, once per session, attributed to the resolving agent or the AI.</summary>
public abstract class CsatApiTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : SwitchboardFactory, IClockedFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> RateAsync(string token, object body) =>
        await factory.CreateClient().PostAsJsonAsync($"/api/widget/sessions/{token}/csat", body, Ct);

    private static async Task<string?> FieldAsync(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        if (json.TryGetProperty("field", out var field)) return field.GetString();
        return json.TryGetProperty("errors", out var errors) ? errors.EnumerateObject().Single().Name : null;
    }

    private async Task<List<SessionCsatRow>> RatingsAsync(Guid sessionId)
    {
        await using var db = factory.SystemContext();
        return await db.Csat.AsNoTracking().Where(c => c.SessionId == sessionId).Select(c => new SessionCsatRow(c.Score, c.Comment, c.AgentId)).ToListAsync(Ct);
    }

    private sealed record SessionCsatRow(int Score, string? Comment, Guid? AgentId);

    [Fact]
    public async Task A_chat_that_is_not_resolved_cannot_be_rated()
    {
        var desk = await AnalyticsDesk.CreateAsync(factory, "UTC");
        var session = await desk.SessionAsync(factory);

        var response = await RateAsync(session.Token, new { score = 5 });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("token", await FieldAsync(response));
        Assert.Empty(await RatingsAsync(session.Id));
    }

    [Theory]
    [InlineData("""{"score":0}""", "score")]
    [InlineData("""{"score":6}""", "score")]
    [InlineData("""{"comment":"no score"}""", "score")]
    [InlineData("""{"score":-3}""", "score")]
    public async Task A_bad_score_is_refused_naming_the_field(string body, string field)
    {
        var desk = await AnalyticsDesk.CreateAsync(factory, "UTC");
        var session = await desk.SessionAsync(factory);
        await factory.Services.GetRequiredService<Escalations>().ResolveAsync(session.Id, null, "customer", Ct);

        var response = await factory.CreateClient().PostAsync($"/api/widget/sessions/{session.Token}/csat",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, await FieldAsync(response));
        Assert.Empty(await RatingsAsync(session.Id));
    }

    [Fact]
    public async Task A_comment_over_the_limit_is_refused_and_an_unknown_token_is_not_found()
    {
        var desk = await AnalyticsDesk.CreateAsync(factory, "UTC");
        var session = await desk.SessionAsync(factory);
        await factory.Services.GetRequiredService<Escalations>().ResolveAsync(session.Id, null, "customer", Ct);

        var tooLong = await RateAsync(session.Token, new { score = 3, comment = new string('x', SessionCsat.MaxCommentLength + 1) });
        var unknown = await RateAsync("no-such-token", new { score = 3 });

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("comment", await FieldAsync(tooLong));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("token", await FieldAsync(unknown));
        Assert.Empty(await RatingsAsync(session.Id));
    }

    [Fact]
    public async Task A_chat_is_rated_once_a_retry_gets_the_stored_rating_and_a_different_one_is_refused()
    {
        var desk = await AnalyticsDesk.CreateAsync(factory, "UTC");
        var session = await desk.SessionAsync(factory);
        await factory.Services.GetRequiredService<Escalations>().ResolveAsync(session.Id, null, "customer", Ct);

        var first = await RateAsync(session.Token, new { score = 4, comment = " Helpful " });
        var retry = await RateAsync(session.Token, new { score = 4, comment = "Helpful" });
        var changed = await RateAsync(session.Token, new { score = 1 });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<CsatResponse>(Ct))!.Id, (await retry.Content.ReadFromJsonAsync<CsatResponse>(Ct))!.Id);
        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        Assert.Equal("score", await FieldAsync(changed));
        Assert.Equal([new SessionCsatRow(4, "Helpful", null)], await RatingsAsync(session.Id));
    }

    [Fact]
    public async Task The_rating_goes_to_the_agent_who_resolved_the_chat_or_to_the_ai_when_no_agent_did()
    {
        var desk = await AnalyticsDesk.CreateAsync(factory, "UTC");
        var agentDesk = factory.Services.GetRequiredService<AgentDesk>();
        var byAgent = await desk.SessionAsync(factory);
        Assert.Equal(DeskStatus.Ok, (await agentDesk.TakeAsync(desk.AnnActor, byAgent.Id, Ct)).Status);
        Assert.Equal(DeskStatus.Ok, (await agentDesk.AssignAsync(desk.AdminActor, byAgent.Id, desk.Bob, Ct)).Status);
        Assert.Equal(DeskStatus.Ok, (await agentDesk.ResolveAsync(desk.BobActor, byAgent.Id, Ct)).Status);
        var handedBack = await desk.SessionAsync(factory);
        Assert.Equal(DeskStatus.Ok, (await agentDesk.TakeAsync(desk.AnnActor, handedBack.Id, Ct)).Status);
        Assert.Equal(DeskStatus.Ok, (await agentDesk.HandBackAsync(desk.AnnActor, handedBack.Id, Ct)).Status);
        await factory.Services.GetRequiredService<Escalations>().ResolveAsync(handedBack.Id, null, "customer", Ct);

        var agentRating = await RateAsync(byAgent.Token, new { score = 5 });
        var aiRating = await RateAsync(handedBack.Token, new { score = 3 });

        Assert.True((await agentRating.Content.ReadFromJsonAsync<CsatResponse>(Ct))!.RatedAgent);
        Assert.False((await aiRating.Content.ReadFromJsonAsync<CsatResponse>(Ct))!.RatedAgent);
        Assert.Equal(desk.Bob, (await RatingsAsync(byAgent.Id)).Single().AgentId);
        Assert.Null((await RatingsAsync(handedBack.Id)).Single().AgentId);
        Assert.True(await factory.Services.GetRequiredService<AgentAnalyticsUpdater>().IdleAsync(TimeSpan.FromSeconds(60), Ct));
        await using var db = factory.SystemContext();
        var bobToday = await db.AgentAnalytics.AsNoTracking().SingleAsync(a => a.OrganizationId == desk.Org.Id && a.AgentId == desk.Bob, Ct);
        Assert.Equal(5m, bobToday.CustomerSatisfactionScore);
    }
}

public sealed class SqliteCsatApiTests(SqliteClockFactory factory) : CsatApiTests<SqliteClockFactory>(factory);

public sealed class PostgresCsatApiTests(PostgresClockFactory factory) : CsatApiTests<PostgresClockFactory>(factory);
