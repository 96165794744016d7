using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Conversations;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Http;

/// <summary>Bad input gets a 4xx problem detail naming the field, never a 500, and writes nothing.</summary>
public abstract class BadInputTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;

    public sealed record BadRequest(string Actor, string Method, string Path, string Body, HttpStatusCode Expected, string Field)
    {
        public override string ToString() => $"{Actor} {Method} {Path} {Body} -> {(int)Expected} naming {Field}";
    }

    public static TheoryData<BadRequest> Requests => new(
        new BadRequest("customer", "PATCH", "/api/me/sessions/{customerSession}", """{"status":"closed"}""", HttpStatusCode.BadRequest, "status"),
        new BadRequest("customer", "PATCH", "/api/me/sessions/{customerSession}", """{}""", HttpStatusCode.BadRequest, "status"),
        new BadRequest("customer", "PATCH", "/api/me/sessions/{customerSession}", """{"status":42}""", HttpStatusCode.BadRequest, "status"),
        new BadRequest("agentA", "GET", "/api/orgs/{orgA}/sessions?status=open", "", HttpStatusCode.BadRequest, "status"),
        new BadRequest("customer", "POST", "/api/me/sessions/{customerSession}/messages", """{"content":"hi","messageType":"bot"}""", HttpStatusCode.BadRequest, "messageType"),
        new BadRequest("customer", "POST", "/api/me/sessions/{customerSession}/messages", """{"content":"hi","messageType":"agent"}""", HttpStatusCode.BadRequest, "messageType"),
        new BadRequest("customer", "POST", "/api/me/sessions/{customerSession}/messages", """{"content":"   "}""", HttpStatusCode.BadRequest, "content"),
        new BadRequest("anonymous", "POST", "/api/widget/sessions/{anonToken}/messages", """{"clientMessageId":"c1","content":""}""", HttpStatusCode.BadRequest, "content"),
        new BadRequest("anonymous", "POST", "/api/widget/sessions/{anonToken}/messages", """{"clientMessageId":"c1","content":"{oversize}"}""", HttpStatusCode.BadRequest, "content"),
        new BadRequest("anonymous", "POST", "/api/widget/sessions/{anonToken}/messages", """{"content":"no id"}""", HttpStatusCode.BadRequest, "clientMessageId"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/escalation-rules", """{"ruleName":"r","priorityLevel":0}""", HttpStatusCode.BadRequest, "priorityLevel"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/escalation-rules", """{"ruleName":"r","priorityLevel":6}""", HttpStatusCode.BadRequest, "priorityLevel"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/escalation-rules", """{"ruleName":"r","priorityLevel":"high"}""", HttpStatusCode.BadRequest, "priorityLevel"),
        new BadRequest("adminA", "PUT", "/api/orgs/{orgA}/escalation-rules/{ruleA}", """{"priorityLevel":9}""", HttpStatusCode.BadRequest, "priorityLevel"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/escalation-rules", """{"ruleName":"r","triggerConditions":[1,2]}""", HttpStatusCode.BadRequest, "triggerConditions"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/escalation-rules", """{"priorityLevel":2}""", HttpStatusCode.BadRequest, "ruleName"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/escalation-rules", """{"ruleName":""", HttpStatusCode.BadRequest, "ruleName"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/knowledge", """this is not json""", HttpStatusCode.BadRequest, "body"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/knowledge", """{"title":"","content":"x"}""", HttpStatusCode.BadRequest, "title"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/knowledge", """{"title":"t"}""", HttpStatusCode.BadRequest, "content"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/knowledge", """{"title":"t","content":"c","tags":"not-a-list"}""", HttpStatusCode.BadRequest, "tags"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/members", """{"email":"new@example.test","role":"owner"}""", HttpStatusCode.BadRequest, "role"),
        new BadRequest("adminA", "POST", "/api/orgs/{orgA}/members", """{"email":"nobody","role":"agent"}""", HttpStatusCode.BadRequest, "email"),
        new BadRequest("adminA", "PATCH", "/api/orgs/{orgA}", """{"timeZone":"Mars/Olympus"}""", HttpStatusCode.BadRequest, "timeZone"),
        new BadRequest("adminA", "PATCH", "/api/orgs/{orgA}", """{"allowedOrigins":["not a url"]}""", HttpStatusCode.BadRequest, "allowedOrigins"),
        new BadRequest("anonymous", "POST", "/api/widget/sessions", """{"orgKey":"pk_does_not_exist"}""", HttpStatusCode.NotFound, "orgKey"),
        new BadRequest("anonymous", "POST", "/api/widget/sessions", """{}""", HttpStatusCode.BadRequest, "orgKey"),
        new BadRequest("anonymous", "POST", "/api/widget/sessions", """{"orgKey":"{orgAKey}","context":"plain text"}""", HttpStatusCode.BadRequest, "context"),
        new BadRequest("anonymous", "POST", "/api/widget/sessions", """{"orgKey":"{orgAKey}","customer":{"externalId":"u-1","userHash":"00ff"}}""", HttpStatusCode.Unauthorized, "customer.userHash"),
        new BadRequest("customer", "POST", "/api/me/sessions", """{"orgKey":"pk_{randomId}"}""", HttpStatusCode.NotFound, "orgKey"),
        new BadRequest("customer", "POST", "/api/me/sessions", """{"orgKey":17}""", HttpStatusCode.BadRequest, "orgKey"),
        new BadRequest("customer", "POST", "/api/me/sessions", """{}""", HttpStatusCode.BadRequest, "orgKey"),
        new BadRequest("adminA", "GET", "/api/orgs/{randomId}/knowledge", "", HttpStatusCode.NotFound, "orgId"),
        new BadRequest("adminA", "GET", "/api/orgs/not-a-uuid/knowledge", "", HttpStatusCode.NotFound, "orgId"),
        new BadRequest("agentA", "GET", "/api/orgs/{orgA}/analytics/agents?from=yesterday", "", HttpStatusCode.BadRequest, "from"),
        new BadRequest("agentA", "GET", "/api/orgs/{orgA}/analytics/agents?from=2026-02-01&to=2026-01-01", "", HttpStatusCode.BadRequest, "from"),
        new BadRequest("agentA", "GET", "/api/orgs/{orgA}/sessions/{customerSession}/messages?after=abc", "", HttpStatusCode.BadRequest, "after"),
        new BadRequest("anonymous", "POST", "/api/auth/token", """{"email":"","password":""}""", HttpStatusCode.BadRequest, "email"));

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task BadInputIsAProblemDetailNamingTheFieldAndWritesNothing(BadRequest bad)
    {
        var before = await fixture.FingerprintAsync();
        var path = Resolve(bad.Path);
        using var request = new HttpRequestMessage(new HttpMethod(bad.Method), path);
        if (bad.Method != "GET") request.Content = new StringContent(Resolve(bad.Body), Encoding.UTF8, "application/json");

        using var response = await World[bad.Actor].Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(bad.Expected == response.StatusCode, $"{bad}: got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.True(NamesField(problem.RootElement, bad.Field), $"{bad}: the problem does not name '{bad.Field}': {text}");
        Assert.Equal(before, await fixture.FingerprintAsync());
    }

    [Fact]
    public async Task ConstraintViolationsReachingTheDatabaseBecomeProblemsNotServerErrors()
    {
        // The API validates first; this proves the last line of defence maps the database's own refusal.
        await using var db = World.Factory.SystemContext();
        db.Sessions.Add(new ChatbotSession { OrganizationId = World.OrgA.Id, SessionToken = ChatbotSession.NewToken(), Status = "closed" });
        var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(TestContext.Current.CancellationToken));

        var problem = ProblemExceptionHandler.Describe(error);

        Assert.NotNull(problem);
        Assert.Equal(400, problem.Status);
        Assert.Equal("status", problem.Extensions["field"]);
    }

    [Fact]
    public async Task OversizeWidgetContextIsRefused()
    {
        var context = JsonSerializer.Serialize(new { blob = new string('x', 9000) });
        using var response = await World["anonymous"].Client.PostAsync("/api/widget/sessions",
            new StringContent($$"""{"orgKey":"{{World.OrgA.WidgetKey}}","context":{{context}}}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task RetryWithTheSameClientMessageIdReturnsTheSameMessage()
    {
        var client = World["anonymous"].Client;
        var start = await client.PostAsJsonAsync("/api/widget/sessions", new { orgKey = World.OrgA.WidgetKey }, TestContext.Current.CancellationToken);
        var token = (await start.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("sessionToken").GetString();
        var url = $"/api/widget/sessions/{token}/messages";

        var first = await client.PostAsJsonAsync(url, new { clientMessageId = "m-1", content = "Where is my parcel?" }, TestContext.Current.CancellationToken);
        var retry = await client.PostAsJsonAsync(url, new { clientMessageId = "m-1", content = "Where is my parcel?" }, TestContext.Current.CancellationToken);
        var second = await client.PostAsJsonAsync(url, new { clientMessageId = "m-2", content = "Hello?" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var a = await first.Content.ReadFromJsonAsync<PostedMessage>(TestContext.Current.CancellationToken);
        var b = await retry.Content.ReadFromJsonAsync<PostedMessage>(TestContext.Current.CancellationToken);
        var c = await second.Content.ReadFromJsonAsync<PostedMessage>(TestContext.Current.CancellationToken);
        Assert.Equal(a!.MessageId, b!.MessageId);
        Assert.Equal(1, a.Seq);
        Assert.Equal(2, c!.Seq);
        var history = await client.GetFromJsonAsync<JsonElement>(url + "?after=1", TestContext.Current.CancellationToken);
        Assert.Equal(["Hello?"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
    }

    private static bool NamesField(JsonElement problem, string field) =>
        (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
            && errors.EnumerateObject().Any(e => string.Equals(e.Name, field, StringComparison.OrdinalIgnoreCase)))
        || (problem.TryGetProperty("field", out var f) && string.Equals(f.GetString(), field, StringComparison.OrdinalIgnoreCase));

    private string Resolve(string text) =>
        World.Resolve(text).Replace("{oversize}", new string('a', MessageLog.MaxContentLength + 1), StringComparison.Ordinal);
}

public sealed class SqliteBadInputTests(WorldFixture<SqliteFactory> fixture) : BadInputTests<SqliteFactory>(fixture);

public sealed class PostgresBadInputTests(WorldFixture<PostgresFactory> fixture) : BadInputTests<PostgresFactory>(fixture);
