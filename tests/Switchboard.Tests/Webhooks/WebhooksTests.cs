using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Conversations;
using Switchboard.Features.Webhooks;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>Servers that may deliver to the test's receiver on 127.0.0.1, retrying twice 50 ms apart.</summary>
public sealed class WebhooksSqliteFactory : SqliteFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => WebhookTestSettings.Apply(settings);
}

public sealed class WebhooksPostgresFactory : PostgresFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => WebhookTestSettings.Apply(settings);
}

internal static class WebhookTestSettings
{
    public static void Apply(Dictionary<string, string?> settings)
    {
        settings["Webhooks:AllowPrivateAddresses"] = "true";
        settings["Webhooks:RetryDelays:0"] = "00:00:00.050";
        settings["Webhooks:RetryDelays:1"] = "00:00:00.050";
        settings["Webhooks:PollInterval"] = "00:00:00.200";
    }
}

/// <summary>/api/orgs/{orgId}/webhooks end to end: events from the bus to a real receiver, signatures, retries, the delivery log, walls, bad input.</summary>
public abstract class WebhooksTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private string Hooks => $"/api/orgs/{World.OrgA.Id}/webhooks";

    private async Task<WebhookResponse> CreateAsync(string url, params string[] events)
    {
        var response = await World["adminA"].Client.PostAsJsonAsync(Hooks, new { url, events, description = "test receiver" }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WebhookResponse>(Ct))!;
    }

    private async Task<(string Token, Guid SessionId, HttpClient Client)> StartWidgetSessionAsync()
    {
        var client = World.Factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/widget/sessions", new { orgKey = World.OrgA.WidgetKey, context = new { plan = "enterprise" } }, Ct);
        response.EnsureSuccessStatusCode();
        var started = (await response.Content.ReadFromJsonAsync<StartedSession>(Ct))!;
        return (started.SessionToken, started.SessionId, client);
    }

    private async Task<List<WebhookDeliveryResponse>> LogAsync(Guid webhookId, string query = "") =>
        (await World["adminA"].Client.GetFromJsonAsync<List<WebhookDeliveryResponse>>($"{Hooks}/{webhookId}/deliveries{query}", Ct))!;

    /// <summary>The delivery once it is no longer pending (bounded polling of the delivery log).</summary>
    private async Task<WebhookDeliveryResponse> SettledAsync(Guid webhookId, Guid deliveryId)
    {
        for (var i = 0; i < 600; i++)
        {
            var delivery = (await LogAsync(webhookId)).Single(d => d.Id == deliveryId);
            if (delivery.Status != DeliveryStatus.Pending) return delivery;
            await Task.Delay(50, Ct);
        }
        throw new TimeoutException($"Delivery {deliveryId} is still pending.");
    }

    private async Task<WebhookDeliveryResponse> PingAsync(Guid webhookId)
    {
        var response = await World["adminA"].Client.PostAsync($"{Hooks}/{webhookId}/ping", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WebhookDeliveryResponse>(Ct))!;
    }

    private static bool ForSession(ReceivedWebhook r, Guid sessionId) =>
        r.Json.GetProperty("data").GetProperty("session").GetProperty("id").GetGuid() == sessionId;

    [Fact]
    public async Task PingIsSignedWithTheEndpointsSecretAndNoOtherKey()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.MessageCreated);

        var ping = await PingAsync(hook.Id);
        var received = await receiver.WaitForAsync(path, _ => true, Ct);

        Assert.Equal("ping", received.Event);
        Assert.Equal(ping.Id.ToString(), received.Delivery);
        Assert.Equal(ping.EventId, received.Json.GetProperty("id").GetGuid());
        Assert.Equal(World.OrgA.Id, received.Json.GetProperty("organizationId").GetGuid());
        Assert.StartsWith("whsec_", hook.Secret);
        Assert.True(WebhookSignature.Verify(hook.Secret, received.Signature, received.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(WebhookEndpoint.NewSecret(), received.Signature, received.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(hook.Secret, received.Signature, received.Body + " ", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        var settled = await SettledAsync(hook.Id, ping.Id);
        Assert.Equal(DeliveryStatus.Succeeded, settled.Status);
        Assert.Equal(200, settled.LastStatusCode);
    }

    [Fact]
    public async Task CustomerMessageThroughTheWidgetIsDeliveredAsMessageCreated()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.MessageCreated);
        var (token, sessionId, client) = await StartWidgetSessionAsync();

        var posted = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/messages", new { clientMessageId = "m1", content = "Where is my parcel?" }, Ct);
        posted.EnsureSuccessStatusCode();
        var received = await receiver.WaitForAsync(path, r => ForSession(r, sessionId), Ct);

        Assert.Equal(WebhookEvents.MessageCreated, received.Event);
        var data = received.Json.GetProperty("data");
        Assert.Equal("message.created", received.Json.GetProperty("type").GetString());
        Assert.Equal("Where is my parcel?", data.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(MessageTypes.User, data.GetProperty("message").GetProperty("messageType").GetString());
        Assert.Equal("enterprise", data.GetProperty("session").GetProperty("customerContext").GetProperty("plan").GetString());
        Assert.True(WebhookSignature.Verify(hook.Secret, received.Signature, received.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task EscalationThroughTheWidgetIsDeliveredWithItsReasonAndOnlyToSubscribedEndpoints()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var escalations = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.SessionEscalated);
        var resolvedOnly = await CreateAsync(receiver.NewUrl(out var otherPath), WebhookEvents.SessionResolved);
        var (token, sessionId, client) = await StartWidgetSessionAsync();

        (await client.PostAsync($"/api/widget/sessions/{token}/escalate", null, Ct)).EnsureSuccessStatusCode();
        var received = await receiver.WaitForAsync(path, r => ForSession(r, sessionId), Ct);

        Assert.Equal(WebhookEvents.SessionEscalated, received.Event);
        var data = received.Json.GetProperty("data");
        Assert.Equal(SessionStatus.Escalated, data.GetProperty("session").GetProperty("status").GetString());
        Assert.Equal("customer", data.GetProperty("escalation").GetProperty("trigger").GetString());
        Assert.Equal("The customer asked for a person.", data.GetProperty("escalation").GetProperty("reason").GetString());
        // Both endpoints' rows would be written together: the subscribed one's arrived, so the other has none.
        Assert.Empty(await LogAsync(resolvedOnly.Id));
        Assert.Empty(receiver.At(otherPath));
    }

    [Fact]
    public async Task AssignmentAndResolutionOnTheBusAreDeliveredAndAnUnassignmentIsNot()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.SessionAssigned, WebhookEvents.SessionResolved);
        var (_, sessionId, _) = await StartWidgetSessionAsync();
        var bus = World.Factory.Services.GetRequiredService<IEventBus>();
        var agentId = World["agentA"].UserId!.Value;

        bus.Publish(new SessionAssigned(World.OrgA.Id, sessionId, agentId, "Agent A"));
        bus.Publish(new SessionAssigned(World.OrgA.Id, sessionId, null, null));
        bus.Publish(new TypingChanged(World.OrgA.Id, sessionId, "agent", "Agent A", true));
        bus.Publish(new StatusChanged(World.OrgA.Id, sessionId, SessionStatus.Resolved));
        var assigned = await receiver.WaitForAsync(path, r => r.Event == WebhookEvents.SessionAssigned && ForSession(r, sessionId), Ct);
        await receiver.WaitForAsync(path, r => r.Event == WebhookEvents.SessionResolved && ForSession(r, sessionId), Ct);

        var agent = assigned.Json.GetProperty("data").GetProperty("agent");
        Assert.Equal(agentId, agent.GetProperty("id").GetGuid());
        Assert.Equal("Agent A", agent.GetProperty("name").GetString());
        // Events are written in order: once the resolution is logged, the unassignment was seen and skipped.
        var log = await LogAsync(hook.Id);
        Assert.Equal([WebhookEvents.SessionResolved, WebhookEvents.SessionAssigned], log.Select(d => d.EventType));
    }

    [Fact]
    public async Task ReceiverFailingTwiceThenAnsweringLeavesThreeAttemptsAndSuccessInTheLog()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.SessionResolved);
        receiver.Script(path, 500, 500);

        var ping = await PingAsync(hook.Id);
        var settled = await SettledAsync(hook.Id, ping.Id);

        Assert.Equal(DeliveryStatus.Succeeded, settled.Status);
        Assert.Equal(3, settled.Attempts);
        Assert.Equal(200, settled.LastStatusCode);
        Assert.Null(settled.LastError);
        Assert.NotNull(settled.DeliveredAt);
        var requests = receiver.At(path);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(ping.Id.ToString(), r.Delivery));
        Assert.All(requests, r => Assert.True(WebhookSignature.Verify(hook.Secret, r.Signature, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))));
    }

    [Fact]
    public async Task ReceiverAlwaysFailingMarksTheDeliveryFailedAfterTheConfiguredAttempts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.SessionResolved);
        receiver.AlwaysFail(path, 503);

        var ping = await PingAsync(hook.Id);
        var settled = await SettledAsync(hook.Id, ping.Id);

        Assert.Equal(DeliveryStatus.Failed, settled.Status);
        Assert.Equal(3, settled.Attempts); // the first and one per configured retry delay
        Assert.Equal(503, settled.LastStatusCode);
        Assert.Contains("503", settled.LastError);
        Assert.Contains("receiver is down", settled.LastError);
        Assert.Null(settled.NextAttemptAt);
        Assert.Equal(3, receiver.At(path).Count);
        Assert.Equal([ping.Id], (await LogAsync(hook.Id, "?status=failed")).Select(d => d.Id));
        Assert.Empty(await LogAsync(hook.Id, "?status=succeeded"));

        // Redelivery: the same event, a new delivery with its own attempts.
        receiver.AlwaysFail(path, 200);
        var redeliver = await World["adminA"].Client.PostAsync($"{Hooks}/{hook.Id}/deliveries/{ping.Id}/redeliver", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        var copy = (await redeliver.Content.ReadFromJsonAsync<WebhookDeliveryResponse>(Ct))!;
        var again = await SettledAsync(hook.Id, copy.Id);
        Assert.Equal(DeliveryStatus.Succeeded, again.Status);
        Assert.Equal(ping.EventId, again.EventId);
        Assert.Equal(1, again.Attempts);
        Assert.Equal(copy.Id, (await LogAsync(hook.Id, "?limit=1")).Single().Id); // newest first
    }

    [Fact]
    public async Task SeveralWorkersNeverSendTheSameAttemptTwice()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.SessionResolved);
        var pings = new List<Guid>();
        for (var i = 0; i < 30; i++) pings.Add((await PingAsync(hook.Id)).Id);

        // Three more workers (as on other nodes) race the server's own for the same rows.
        var workers = Enumerable.Range(0, 3)
            .Select(_ => ActivatorUtilities.CreateInstance<WebhookDeliveryWorker>(World.Factory.Services)).ToList();
        await Task.WhenAll(workers.Select(w => Task.Run(async () =>
        {
            for (var round = 0; round < 5; round++) await w.RunOnceAsync(Ct);
        }, Ct)));
        foreach (var id in pings) Assert.Equal(DeliveryStatus.Succeeded, (await SettledAsync(hook.Id, id)).Status);

        var byDelivery = receiver.At(path).GroupBy(r => r.Delivery).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(pings.Select(p => p.ToString()).Order(), byDelivery.Keys.Order());
        Assert.All(byDelivery.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task AdminManagesAnEndpointAndRotatesItsSecret()
    {
        var hook = await CreateAsync("http://127.0.0.1:9/hook", WebhookEvents.MessageCreated);
        var admin = World["adminA"].Client;

        var patched = await admin.PatchAsJsonAsync($"{Hooks}/{hook.Id}", new { events = new[] { WebhookEvents.SessionEscalated, WebhookEvents.SessionResolved }, isActive = false }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var rotated = (await (await admin.PostAsync($"{Hooks}/{hook.Id}/rotate-secret", null, Ct)).Content.ReadFromJsonAsync<WebhookResponse>(Ct))!;
        var read = (await admin.GetFromJsonAsync<WebhookResponse>($"{Hooks}/{hook.Id}", Ct))!;
        var listed = (await admin.GetFromJsonAsync<List<WebhookResponse>>(Hooks, Ct))!;

        Assert.Equal([WebhookEvents.SessionEscalated, WebhookEvents.SessionResolved], read.Events);
        Assert.False(read.IsActive);
        Assert.Equal("http://127.0.0.1:9/hook", read.Url);
        Assert.NotEqual(hook.Secret, rotated.Secret);
        Assert.Equal(rotated.Secret, read.Secret);
        Assert.Contains(listed, w => w.Id == hook.Id);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Hooks}/{hook.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"{Hooks}/{hook.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"{Hooks}/{hook.Id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task AnotherOrganizationsAdminGetsNotFoundAndSeesNoDeliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await CreateAsync(receiver.NewUrl(out var path), WebhookEvents.SessionResolved);
        var ping = await PingAsync(hook.Id);
        await receiver.WaitForAsync(path, _ => true, Ct);
        var adminB = World["adminB"].Client;
        var orgB = $"/api/orgs/{World.OrgB.Id}/webhooks";

        Assert.Equal(HttpStatusCode.NotFound, (await adminB.GetAsync(Hooks, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.GetAsync($"{Hooks}/{hook.Id}/deliveries", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.GetAsync($"{orgB}/{hook.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.GetAsync($"{orgB}/{hook.Id}/deliveries", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.PostAsync($"{orgB}/{hook.Id}/ping", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.PostAsync($"{orgB}/{hook.Id}/deliveries/{ping.Id}/redeliver", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.PatchAsJsonAsync($"{orgB}/{hook.Id}", new { isActive = false }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.DeleteAsync($"{orgB}/{hook.Id}", Ct)).StatusCode);
        Assert.DoesNotContain((await adminB.GetFromJsonAsync<List<WebhookResponse>>(orgB, Ct))!, w => w.Id == hook.Id);
        Assert.True((await World["adminA"].Client.GetFromJsonAsync<WebhookResponse>($"{Hooks}/{hook.Id}", Ct))!.IsActive);
    }

    [Theory]
    [InlineData("agentA")]
    [InlineData("memberA")]
    public async Task AgentsAndMembersAreForbidden(string actor)
    {
        var hook = await CreateAsync("http://127.0.0.1:9/hook", WebhookEvents.MessageCreated);
        var client = World[actor].Client;

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Hooks, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync(Hooks, new { url = "http://127.0.0.1:9/x", events = new[] { "message.created" } }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"{Hooks}/{hook.Id}/deliveries", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"{Hooks}/{hook.Id}/rotate-secret", null, Ct)).StatusCode);
    }

    [Theory]
    [InlineData("""{"url":"http://127.0.0.1:9/x","events":["session.escalated","session.exploded"]}""", "events[1]")]
    [InlineData("""{"url":"http://127.0.0.1:9/x","events":[]}""", "events")]
    [InlineData("""{"url":"http://127.0.0.1:9/x"}""", "events")]
    [InlineData("""{"events":["message.created"]}""", "url")]
    [InlineData("""{"url":"/relative","events":["message.created"]}""", "url")]
    [InlineData("""{"url":"ftp://127.0.0.1/x","events":["message.created"]}""", "url")]
    [InlineData("""{"url":"http://hooks.example.com/x","events":["message.created"]}""", "url")]
    public async Task BadEndpointsAreRefusedNamingTheFieldAndNothingIsWritten(string body, string field)
    {
        var before = await CountAsync();
        var response = await World["adminA"].Client.PostAsync(Hooks, new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task BadChangesAndLogQueriesAreRefusedAndChangeNothing()
    {
        var hook = await CreateAsync("http://127.0.0.1:9/hook", WebhookEvents.MessageCreated);
        var admin = World["adminA"].Client;

        var patched = await admin.PatchAsJsonAsync($"{Hooks}/{hook.Id}", new { events = new[] { "nope" }, isActive = false }, Ct);
        var status = await admin.GetAsync($"{Hooks}/{hook.Id}/deliveries?status=lost", Ct);
        var limit = await admin.GetAsync($"{Hooks}/{hook.Id}/deliveries?limit=0", Ct);
        var missing = await admin.PostAsync($"{Hooks}/{hook.Id}/deliveries/{Guid.NewGuid()}/redeliver", null, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, patched.StatusCode);
        Assert.Contains("events[0]", await patched.Content.ReadAsStringAsync(Ct));
        Assert.Contains("\"status\"", await status.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, limit.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var read = (await admin.GetFromJsonAsync<WebhookResponse>($"{Hooks}/{hook.Id}", Ct))!;
        Assert.True(read.IsActive);
        Assert.Equal([WebhookEvents.MessageCreated], read.Events);
    }

    private async Task<int> CountAsync()
    {
        await using var db = World.Factory.SystemContext();
        return await db.WebhookEndpoints.CountAsync(Ct);
    }

    private sealed record StartedSession(string SessionToken, Guid SessionId);
}

public sealed class SqliteWebhooksTests(WorldFixture<WebhooksSqliteFactory> fixture) : WebhooksTests<WebhooksSqliteFactory>(fixture);

public sealed class PostgresWebhooksTests(WorldFixture<WebhooksPostgresFactory> fixture) : WebhooksTests<WebhooksPostgresFactory>(fixture);
