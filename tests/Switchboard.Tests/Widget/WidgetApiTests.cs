using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Conversations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Widget;

/// <summary>The widget API over HTTP: events that resume without loss, origins, feedback, escalation, rate limits.</summary>
public abstract class WidgetApiTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheEventStreamResumesAfterLastEventIdWithNothingLostOrRepeated()
    {
        var client = World.Factory.CreateClient();
        var token = await StartAsync(client);
        for (var i = 1; i <= 3; i++) await PostAsync(client, token, $"m{i}", $"Question {i}");

        using (var stream = await OpenEventsAsync(client, token, lastEventId: null))
        {
            var seen = new List<ServerSentEvent>();
            for (var i = 0; i < 3; i++) seen.Add(await stream.NextAsync(Wait, e => e.Event == "message"));
            Assert.Equal(["1", "2", "3"], seen.Select(e => e.Id));
        }

        // Two more messages while the widget is away; reconnect from id 2.
        await PostAsync(client, token, "m4", "Question 4");
        await PostAsync(client, token, "m5", "Question 5");
        using var resumed = await OpenEventsAsync(client, token, lastEventId: "2");
        var ids = new List<string?>();
        for (var i = 0; i < 3; i++) ids.Add((await resumed.NextAsync(Wait, e => e.Event == "message")).Id);
        Assert.Equal(["3", "4", "5"], ids);

        // Live: a message posted now arrives once, with the next id.
        await PostAsync(client, token, "m6", "Question 6");
        var live = await resumed.NextAsync(Wait, e => e.Event == "message");
        Assert.Equal("6", live.Id);
        Assert.Equal("Question 6", JsonDocument.Parse(live.Data).RootElement.GetProperty("content").GetString());
    }

    [Fact]
    public async Task EscalatingPostsOneSystemMessageAndStreamsTheStatus()
    {
        var client = World.Factory.CreateClient();
        var token = await StartAsync(client);
        using var stream = await OpenEventsAsync(client, token, lastEventId: null);

        var first = await client.PostAsync($"/api/widget/sessions/{token}/escalate", null, Ct);
        var second = await client.PostAsync($"/api/widget/sessions/{token}/escalate", null, Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False((await first.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("alreadyEscalated").GetBoolean());
        Assert.True((await second.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("alreadyEscalated").GetBoolean());
        var status = await stream.NextAsync(Wait, e => e.Event == "status");
        Assert.Equal("escalated", JsonDocument.Parse(status.Data).RootElement.GetProperty("status").GetString());
        var system = await stream.NextAsync(Wait, e => e.Event == "message");
        Assert.Equal("system", JsonDocument.Parse(system.Data).RootElement.GetProperty("messageType").GetString());

        var history = await client.GetFromJsonAsync<JsonElement>($"/api/widget/sessions/{token}/messages", Ct);
        Assert.Single(history.GetProperty("messages").EnumerateArray(), m => m.GetProperty("messageType").GetString() == "system");
        await using var db = World.Factory.SystemContext();
        Assert.Equal("escalated", await db.Sessions.Where(s => s.SessionToken == token).Select(s => s.Status).SingleAsync(Ct));
    }

    [Fact]
    public async Task FeedbackIsRecordedOnTheAiAnswerOfThatChatOnly()
    {
        var client = World.Factory.CreateClient();
        var token = await StartAsync(client);
        var otherToken = await StartAsync(client);
        Guid aiMessage;
        await using (var db = World.Factory.SystemContext())
        {
            var sessionId = await db.Sessions.Where(s => s.SessionToken == token).Select(s => s.Id).SingleAsync(Ct);
            aiMessage = (await MessageLog.AppendAsync(db, sessionId, MessageTypes.Ai, "Within 30 days.", null, null, Ct, """{"confidence":0.9}""")).MessageId;
        }

        var foreign = await client.PostAsJsonAsync($"/api/widget/sessions/{otherToken}/feedback", new { messageId = aiMessage, helpful = false }, Ct);
        var missing = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/feedback", new { messageId = aiMessage }, Ct);
        var rated = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/feedback", new { messageId = aiMessage, helpful = true }, Ct);

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, rated.StatusCode);
        await using var check = World.Factory.SystemContext();
        var metadata = JsonDocument.Parse((await check.Messages.SingleAsync(m => m.Id == aiMessage, Ct)).AiMetadata!).RootElement;
        Assert.True(metadata.GetProperty("feedback").GetProperty("helpful").GetBoolean());
        Assert.Equal(0.9, metadata.GetProperty("confidence").GetDouble());
    }

    [Fact]
    public async Task AnAllowedOriginGetsCorsHeadersAndAStrangerOriginIsRefused()
    {
        var client = World.Factory.CreateClient();
        await using (var db = World.Factory.SystemContext())
        {
            await db.Organizations.Where(o => o.Id == World.OrgB.Id)
                .ExecuteUpdateAsync(o => o.SetProperty(x => x.AllowedOrigins, ["https://shop.example.test"]), Ct);
        }

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/widget/sessions");
        preflight.Headers.Add("Origin", "https://shop.example.test");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var answered = await client.SendAsync(preflight, Ct);
        Assert.Equal("https://shop.example.test", answered.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var allowed = await SendFromAsync(client, "https://shop.example.test", World.OrgB.WidgetKey);
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.Equal("https://shop.example.test", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var refused = await SendFromAsync(client, "https://evil.example.test", World.OrgB.WidgetKey);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));

        // Another organization's allowed origin is no key to this one.
        var wrongOrg = await SendFromAsync(client, "https://shop.example.test", World.OrgA.WidgetKey);
        Assert.Equal(HttpStatusCode.Forbidden, wrongOrg.StatusCode);
    }

    [Fact]
    public async Task TheChatPageMayBeFramedOnlyByItsOrganizationsAllowedOrigins()
    {
        var client = World.Factory.CreateClient();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Switchboard.Features.Organizations.Organization
        {
            Name = "Framed " + suffix, Slug = "framed-" + suffix, AllowedOrigins = ["https://shop.example.test", "https://www.shop.example.test"],
        };
        await using (var db = World.Factory.SystemContext())
        {
            db.Organizations.Add(org);
            await db.SaveChangesAsync(Ct);
        }

        async Task<string> PolicyAsync(string query)
        {
            var response = await client.GetAsync("/widget/frame.html" + query, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.GetValues("Content-Security-Policy").Single();
        }

        Assert.Equal("frame-ancestors 'self' https://shop.example.test https://www.shop.example.test", await PolicyAsync("?orgKey=" + org.WidgetKey));
        // An organization with no allowed origins, an unknown key or none: only the server's own pages.
        Assert.Equal("frame-ancestors 'self'", await PolicyAsync("?orgKey=" + World.OrgA.WidgetKey));
        Assert.Equal("frame-ancestors 'self'", await PolicyAsync("?orgKey=pk_unknown"));
        Assert.Equal("frame-ancestors 'self'", await PolicyAsync(""));
    }

    [Fact]
    public async Task AnotherOrganizationsSessionTokenReadsNothingElse()
    {
        var client = World.Factory.CreateClient();
        var token = World.SessionInB.SessionToken;
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/widget/sessions/{token}/messages", Ct);
        Assert.Equal(["Hello from " + World.SessionInB.Id, "Hi!"],
            history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        var feedback = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/feedback", new { messageId = World.AnonymousSession.Id, helpful = true }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, feedback.StatusCode);
    }

    private async Task<HttpResponseMessage> SendFromAsync(HttpClient client, string origin, string orgKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/widget/sessions") { Content = JsonContent.Create(new { orgKey }) };
        request.Headers.Add("Origin", origin);
        return await client.SendAsync(request, Ct);
    }

    private async Task<string> StartAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/widget/sessions", new { orgKey = World.OrgA.WidgetKey }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("sessionToken").GetString()!;
    }

    private static async Task PostAsync(HttpClient client, string token, string id, string content)
    {
        var response = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/messages", new { clientMessageId = id, content }, Ct);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<SseReader> OpenEventsAsync(HttpClient client, string token, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/widget/sessions/{token}/events");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseReader(await response.Content.ReadAsStreamAsync(Ct));
    }
}

public sealed class SqliteWidgetApiTests(WorldFixture<SqliteFactory> fixture) : WidgetApiTests<SqliteFactory>(fixture);

public sealed class PostgresWidgetApiTests(WorldFixture<PostgresFactory> fixture) : WidgetApiTests<PostgresFactory>(fixture);
