using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Knowledge;

/// <summary>POST /api/orgs/{orgId}/knowledge/search: the organization's knowledge ranked as the bot ranks it, with category and tag filters.</summary>
public abstract class KnowledgeSearchTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestWorld World => fixture.World;

    private async Task<(Organization Org, Dictionary<string, Guid> Ids)> ShopAsync(params (string Title, string Content, string Category, string[] Tags)[] articles)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Search " + suffix, Slug = "search-" + suffix };
        var rows = articles.Select(a => new KnowledgeArticle { OrganizationId = org.Id, Title = a.Title, Content = a.Content, Category = a.Category, Tags = [.. a.Tags] }).ToList();
        await using (var db = World.Factory.SystemContext())
        {
            db.Organizations.Add(org);
            db.Knowledge.AddRange(rows);
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = World["agentA"].UserId!.Value, Role = OrgRoles.Agent });
            await db.SaveChangesAsync(Ct);
        }
        await World.Factory.Services.GetRequiredService<KnowledgeIndexer>().IndexAsync([.. rows.Select(r => r.Id)], null, Ct);
        return (org, rows.ToDictionary(r => r.Title, r => r.Id));
    }

    private static readonly (string, string, string, string[])[] Shop =
    [
        ("Returns and refunds", "You can return unworn items within 30 days of delivery. Refunds reach your card within 5 business days.", "orders", ["returns", "refunds"]),
        ("Returning a gift", "A gift can be returned within 30 days for store credit, without the receipt.", "gifts", ["returns"]),
        ("Shipping times", "Standard shipping takes 3-5 business days; express arrives in 1-2 business days.", "orders", ["shipping"]),
        ("Resetting your password", "Click Forgot password on the sign-in page and follow the link we email you.", "account", ["login"]),
    ];

    private async Task<JsonElement> SearchAsync(Organization org, object body, string actor = "agentA")
    {
        var response = await World[actor].Client.PostAsJsonAsync($"/api/orgs/{org.Id}/knowledge/search", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static List<string> Titles(JsonElement result) =>
        [.. result.GetProperty("articles").EnumerateArray().Select(a => a.GetProperty("title").GetString()!)];

    [Fact]
    public async Task ASearchRanksTheArticleThatAnswersFirstAndShowsTheEvidenceBehindItsRank()
    {
        var (org, _) = await ShopAsync(Shop);

        var result = await SearchAsync(org, new { question = "How many days do I have to return my order?" });

        Assert.Equal("answer", result.GetProperty("decision").GetString());
        Assert.Equal("Returns and refunds", Titles(result)[0]);
        Assert.Equal(4, Titles(result).Count);
        var first = result.GetProperty("articles")[0];
        Assert.Contains("30 days", first.GetProperty("passage").GetString());
        var ranking = first.GetProperty("ranking");
        Assert.True(ranking.GetProperty("vector").GetDouble() > 0.3);
        Assert.True(ranking.GetProperty("fullText").GetDouble() > 0); // "return", "days" match its passage
        Assert.True(ranking.GetProperty("fused").GetDouble() >= ranking.GetProperty("vector").GetDouble());
        var fused = result.GetProperty("articles").EnumerateArray().Select(a => a.GetProperty("ranking").GetProperty("fused").GetDouble()).ToList();
        Assert.Equal(fused.OrderDescending(), fused);
    }

    [Fact]
    public async Task CategoryAndTagFiltersKeepOnlyMatchingArticlesEvenWhenAnotherRanksHigher()
    {
        var (org, _) = await ShopAsync(Shop);
        const string question = "How many days do I have to return my order?";

        var gifts = await SearchAsync(org, new { question, category = "gifts" });
        var shipping = await SearchAsync(org, new { question, tags = new[] { "SHIPPING" } });
        var returnsInOrders = await SearchAsync(org, new { question, category = "orders", tags = new[] { "returns" } });
        var nothing = await SearchAsync(org, new { question, category = "no such category" });

        Assert.Equal(["Returning a gift"], Titles(gifts));
        Assert.Equal(["Shipping times"], Titles(shipping));
        Assert.Equal(["Returns and refunds"], Titles(returnsInOrders));
        Assert.Empty(Titles(nothing));
        Assert.Equal("no_answer", nothing.GetProperty("decision").GetString());
    }

    [Fact]
    public async Task ASearchNeverReturnsAnotherOrganizationsArticles()
    {
        var (org, _) = await ShopAsync(Shop[2], Shop[3]);
        var (other, _) = await ShopAsync(("Returns and refunds elsewhere", Shop[0].Item2, "orders", ["returns"]));
        await using (var db = World.Factory.SystemContext())
        {
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = other.Id, UserId = World["adminA"].UserId!.Value, Role = OrgRoles.Admin });
            await db.SaveChangesAsync(Ct);
        }

        var result = await SearchAsync(org, new { question = "How many days do I have to return my order?", top = 20 });

        Assert.DoesNotContain("Returns and refunds elsewhere", Titles(result));
        Assert.Equal(["Resetting your password", "Shipping times"], Titles(result).Order());
        var theirs = await SearchAsync(other, new { question = "How many days do I have to return my order?" }, "adminA");
        Assert.Equal(["Returns and refunds elsewhere"], Titles(theirs));
    }

    [Theory]
    [InlineData("""{"question":""}""", "question")]
    [InlineData("""{"question":"   "}""", "question")]
    [InlineData("""{}""", "question")]
    [InlineData("""{"question":"returns?","top":0}""", "top")]
    [InlineData("""{"question":"returns?","top":21}""", "top")]
    [InlineData("""{"question":"returns?","category":" "}""", "category")]
    [InlineData("""{"question":"returns?","tags":["returns",""]}""", "tags")]
    public async Task BadSearchesGetAProblemNamingTheField(string body, string field)
    {
        var (org, _) = await ShopAsync(Shop[0]);

        var response = await World["agentA"].Client.PostAsync($"/api/orgs/{org.Id}/knowledge/search",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task AnOverlongQuestionIsRefused()
    {
        var (org, _) = await ShopAsync(Shop[0]);
        var response = await World["agentA"].Client.PostAsJsonAsync($"/api/orgs/{org.Id}/knowledge/search",
            new { question = new string('a', KnowledgeSearchApi.MaxQuestionLength + 1) }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("question", await response.Content.ReadAsStringAsync(Ct));
    }
}

public sealed class SqliteKnowledgeSearchTests(WorldFixture<SqliteFactory> fixture) : KnowledgeSearchTests<SqliteFactory>(fixture);

public sealed class PostgresKnowledgeSearchTests(WorldFixture<PostgresFactory> fixture) : KnowledgeSearchTests<PostgresFactory>(fixture);
