using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Widget;

/// <summary>A server with low widget limits, so the limits can be reached in a few requests.</summary>
public sealed class LowLimitSqliteFactory : SqliteFactory
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Widget:MessagesPerMinutePerSession"] = "3";
        settings["Widget:SessionsPerMinutePerIp"] = "4";
    }
}

public sealed class RateLimitTests(WorldFixture<LowLimitSqliteFactory> fixture) : IClassFixture<WorldFixture<LowLimitSqliteFactory>>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TooManyMessagesInOneChatGetA429ProblemAndAreNotStored()
    {
        // The world's session, not a new one: the other test spends this address's session budget.
        var client = fixture.Factory.CreateClient();
        var token = fixture.World.AnonymousSession.SessionToken;

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            var response = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/messages", new { clientMessageId = $"c{i}", content = $"Message {i}" }, Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.True(response.Headers.RetryAfter is not null);
            }
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/widget/sessions/{token}/messages", Ct);
        Assert.Equal(["Message 0", "Message 1", "Message 2"], history.GetProperty("messages").EnumerateArray()
            .Select(m => m.GetProperty("content").GetString()).Where(c => c!.StartsWith("Message ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TooManyNewSessionsFromOneAddressGetA429()
    {
        var client = fixture.Factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await client.PostAsJsonAsync("/api/widget/sessions", new { orgKey = fixture.World.OrgB.WidgetKey }, Ct)).StatusCode);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.Created) <= 4);
    }
}
