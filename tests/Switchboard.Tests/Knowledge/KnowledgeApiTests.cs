using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Knowledge;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Knowledge;

/// <summary>Listing with search and filters, deactivation, and bad input (a problem naming the field, nothing half-written).</summary>
public abstract class KnowledgeApiTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheListSearchesTitleAndContentCaseInsensitivelyAndFiltersByCategoryTagAndActivity()
    {
        var org = World.OrgA.Id;
        var marker = "zq" + Guid.NewGuid().ToString("N")[..6];
        var admin = World["adminA"].Client;
        async Task<Guid> Create(object body) =>
            (await (await admin.PostAsJsonAsync($"/api/orgs/{org}/knowledge", body, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var shipping = await Create(new { title = $"Shipping {marker.ToUpperInvariant()}", content = "Parcels leave in two days.", category = "delivery", tags = new[] { "Parcels" } });
        var returns = await Create(new { title = "Returns", content = $"Send it back, quote {marker}.", category = "returns", tags = new[] { "money" } });
        var hidden = await Create(new { title = $"Old {marker}", content = "Outdated.", category = "delivery", isActive = false });

        async Task<(List<Guid> Ids, string? Total)> List(string query)
        {
            using var response = await World["memberA"].Client.GetAsync($"/api/orgs/{org}/knowledge?{query}", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var items = await response.Content.ReadFromJsonAsync<List<JsonElement>>(Ct);
            return ([.. items!.Select(i => i.GetProperty("id").GetGuid())], response.Headers.TryGetValues("X-Total-Count", out var v) ? v.Single() : null);
        }

        Assert.Equal([hidden, returns, shipping], (await List($"q={marker}")).Ids);
        Assert.Equal([hidden, shipping], (await List($"q={marker}&category=delivery")).Ids);
        Assert.Equal([shipping], (await List($"q={marker}&category=delivery&isActive=true")).Ids);
        Assert.Equal([shipping], (await List($"q={marker}&tag=PARCELS")).Ids);
        Assert.Equal([hidden], (await List($"q={marker}&isActive=false")).Ids);
        var page = await List($"q={marker}&limit=2&offset=1");
        Assert.Equal([returns, shipping], page.Ids);
        Assert.Equal("3", page.Total);
    }

    [Fact]
    public async Task PatchDeactivatesAnArticleAndKeepsEverythingElse()
    {
        var admin = World["adminA"].Client;
        var created = await (await admin.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/knowledge",
            new { title = "Gift cards", content = "Gift cards never expire.", tags = new[] { "cards" } }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = created.GetProperty("id").GetGuid();

        using var response = await admin.PatchAsJsonAsync($"/api/orgs/{World.OrgA.Id}/knowledge/{id}", new { isActive = false }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = World.Factory.SystemContext();
        var row = await db.Knowledge.AsNoTracking().SingleAsync(a => a.Id == id, Ct);
        Assert.False(row.IsActive);
        Assert.Equal("Gift cards", row.Title);
        Assert.Equal("Gift cards never expire.", row.Content);
        Assert.Equal(["cards"], row.Tags);
    }

    public sealed record BadRequest(string Method, string Path, string Body, string Field, HttpStatusCode Expected = HttpStatusCode.BadRequest)
    {
        public override string ToString() => $"{Method} {Path} {(Body.Length > 80 ? Body[..80] + "…" : Body)} -> {Field}";
    }

    public static TheoryData<BadRequest> BadRequests => new(
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge", """{"title":"","content":"x"}""", "title"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge", """{"title":"   ","content":"x"}""", "title"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge", """{"title":"t","content":""}""", "content"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge", """{"title":"t","content":"{tenMegabytes}"}""", "content"),
        new BadRequest("PUT", "/api/orgs/{orgA}/knowledge/{articleA}", """{"content":"{tenMegabytes}"}""", "content"),
        new BadRequest("PATCH", "/api/orgs/{orgA}/knowledge/{articleA}", """{"title":""}""", "title"),
        new BadRequest("PATCH", "/api/orgs/{orgA}/knowledge/{articleA}", """{"isActive":"no"}""", "isActive"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge", """{"title":"{longTitle}","content":"x"}""", "title"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge", """{"title":"t","content":"x","tags":[""]}""", "tags"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge", """{"title":"t","content":"x","category":"{longTitle}"}""", "category"),
        new BadRequest("GET", "/api/orgs/{orgA}/knowledge?limit=0", "", "limit"),
        new BadRequest("GET", "/api/orgs/{orgA}/knowledge?limit=5000", "", "limit"),
        new BadRequest("GET", "/api/orgs/{orgA}/knowledge?offset=-1", "", "offset"),
        new BadRequest("GET", "/api/orgs/{orgA}/knowledge?isActive=maybe", "", "isActive"),
        new BadRequest("GET", "/api/orgs/{orgA}/knowledge/gaps?from=2026-02-01&to=2026-01-01", "", "to"),
        new BadRequest("GET", "/api/orgs/{orgA}/knowledge/gaps?from=yesterday", "", "from"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge/answer-tests", """{"question":"","expect":"no_answer"}""", "question"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge/answer-tests", """{"question":"Hi?","expect":"answer","expectedArticleId":"{articleB}"}""", "expectedArticleId"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge/answer-tests", """{"question":"Hi?","expect":"answer","expectedArticleId":"{globalArticle}"}""", "expectedArticleId"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge/answer-tests", """{"question":"Hi?","expect":"answer"}""", "expectedArticleId"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge/answer-tests", """{"question":"Hi?","expect":"maybe"}""", "expect"),
        new BadRequest("POST", "/api/orgs/{orgA}/knowledge/answer-tests", """{"question":"Hi?","expectedArticleId":"not-a-uuid"}""", "expectedArticleId"),
        new BadRequest("POST", "/api/orgs/{orgB}/knowledge/answer-tests/runs", "", "answerTests"));

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputIsAProblemNamingTheFieldAndWritesNothing(BadRequest bad)
    {
        var actor = bad.Path.Contains("{orgB}", StringComparison.Ordinal) ? "adminB" : "adminA";
        var before = await FingerprintAsync();
        using var request = new HttpRequestMessage(new HttpMethod(bad.Method), Resolve(bad.Path));
        if (bad.Method != "GET") request.Content = new StringContent(Resolve(bad.Body), Encoding.UTF8, "application/json");

        using var response = await World[actor].Client.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(bad.Expected == response.StatusCode, $"{bad}: got {(int)response.StatusCode} {text[..Math.Min(text.Length, 500)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.True(NamesField(problem.RootElement, bad.Field), $"{bad}: the problem does not name '{bad.Field}': {text[..Math.Min(text.Length, 500)]}");
        Assert.Equal(before, await FingerprintAsync());
    }

    private static bool NamesField(JsonElement problem, string field) =>
        (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
            && errors.EnumerateObject().Any(e => string.Equals(e.Name, field, StringComparison.OrdinalIgnoreCase)))
        || (problem.TryGetProperty("field", out var f) && string.Equals(f.GetString(), field, StringComparison.OrdinalIgnoreCase));

    private string Resolve(string text) => World.Resolve(text)
        .Replace("{tenMegabytes}", new string('a', 10 * 1024 * 1024), StringComparison.Ordinal)
        .Replace("{longTitle}", new string('t', 301), StringComparison.Ordinal);

    private async Task<string> FingerprintAsync()
    {
        var text = new StringBuilder(await fixture.FingerprintAsync());
        await using var db = World.Factory.SystemContext();
        foreach (var t in await db.AnswerTests.AsNoTracking().OrderBy(t => t.Id).ToListAsync(Ct))
            text.AppendLine($"T {t.Id} {t.Question} {t.ExpectedArticleId} {t.Expect}");
        foreach (var r in await db.AnswerTestRuns.AsNoTracking().OrderBy(r => r.Id).ToListAsync(Ct))
            text.AppendLine($"R {r.Id}");
        return text.ToString();
    }
}

public sealed class SqliteKnowledgeApiTests(WorldFixture<SqliteFactory> fixture) : KnowledgeApiTests<SqliteFactory>(fixture);

public sealed class PostgresKnowledgeApiTests(WorldFixture<PostgresFactory> fixture) : KnowledgeApiTests<PostgresFactory>(fixture);
