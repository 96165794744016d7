using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Knowledge;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Knowledge;

/// <summary>
/// GET /api/orgs/{orgId}/knowledge/indexing: who may read it, that it counts only the organization's own
/// articles waiting for the background indexer, and that it follows a real write until its passages exist.
/// </summary>
public abstract class KnowledgeIndexingStatusTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("anonymous", HttpStatusCode.Unauthorized)]
    [InlineData("customer", HttpStatusCode.NotFound)]
    [InlineData("memberA", HttpStatusCode.OK)]
    [InlineData("agentA", HttpStatusCode.OK)]
    [InlineData("adminA", HttpStatusCode.OK)]
    [InlineData("adminB", HttpStatusCode.NotFound)]
    [InlineData("platformAdmin", HttpStatusCode.NotFound)]
    public async Task MembersOfTheOrganizationReadItsIndexingStateAndStrangersLearnNothing(string actor, HttpStatusCode expected)
    {
        using var response = await World[actor].Client.GetAsync($"/api/orgs/{World.OrgA.Id}/knowledge/indexing", Ct);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.True(body.GetProperty("pending").GetInt32() >= 0);
            Assert.True(body.TryGetProperty("lastIndexedAt", out _));
        }
    }

    [Fact]
    public async Task PendingCountsOnlyTheOrganizationsOwnQueuedArticles()
    {
        // Articles nobody indexes, marked queued by hand: the background indexer never finishes them during the test.
        var (inA, inB, global) = await ArticlesAsync();
        var status = World.Factory.Services.GetRequiredService<KnowledgeIndexingStatus>();
        status.Queued(inA[0]);
        status.Queued(inA[1]);
        status.Queued(inB);
        status.Queued(global);
        try
        {
            Assert.Equal(2, await PendingAsync("adminA", World.OrgA.Id));
            Assert.Equal(2, await PendingAsync("agentA", World.OrgA.Id));
            Assert.Equal(1, await PendingAsync("adminB", World.OrgB.Id));

            status.Finished([inA[0]]);

            Assert.Equal(1, await PendingAsync("adminA", World.OrgA.Id));
        }
        finally
        {
            status.Finished([.. inA, inB, global]);
        }
        Assert.Equal(0, await PendingAsync("adminA", World.OrgA.Id));
    }

    [Fact]
    public async Task AnArticleWrittenThroughTheApiIsNoLongerPendingOnceItsPassagesAreStored()
    {
        var org = World.OrgB.Id; // B: no other test of this class writes there through the indexer
        var admin = World["adminB"].Client;
        using var created = await admin.PostAsJsonAsync($"/api/orgs/{org}/knowledge",
            new { title = "Gift cards", content = "Gift cards never expire and can be used online or in store.", category = "payments" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        // Bounded: one short article is embedded well within a second once the indexer has started.
        JsonElement state;
        for (var attempt = 0; ; attempt++)
        {
            state = await admin.GetFromJsonAsync<JsonElement>($"/api/orgs/{org}/knowledge/indexing", Ct);
            if (state.GetProperty("pending").GetInt32() == 0) break;
            Assert.True(attempt < 240, "The article stayed pending: " + state);
            await Task.Delay(250, Ct);
        }

        await using var db = World.Factory.SystemContext();
        var passages = await db.KnowledgeChunks.Where(c => c.ArticleId == id).ToListAsync(Ct);
        Assert.NotEmpty(passages);
        var last = state.GetProperty("lastIndexedAt").GetDateTimeOffset();
        Assert.True(last >= passages.Max(p => p.CreatedAt).AddMilliseconds(-1), $"lastIndexedAt {last} is older than the article's passages");
    }

    private async Task<int> PendingAsync(string actor, Guid org)
    {
        var state = await World[actor].Client.GetFromJsonAsync<JsonElement>($"/api/orgs/{org}/knowledge/indexing", Ct);
        return state.GetProperty("pending").GetInt32();
    }

    private async Task<(Guid[] InA, Guid InB, Guid Global)> ArticlesAsync()
    {
        await using var db = World.Factory.SystemContext();
        var a1 = new KnowledgeArticle { OrganizationId = World.OrgA.Id, Title = "Queued one", Content = "One." };
        var a2 = new KnowledgeArticle { OrganizationId = World.OrgA.Id, Title = "Queued two", Content = "Two." };
        var b = new KnowledgeArticle { OrganizationId = World.OrgB.Id, Title = "Queued in B", Content = "B." };
        var g = new KnowledgeArticle { OrganizationId = null, Title = "Queued globally", Content = "Global." };
        db.Knowledge.AddRange(a1, a2, b, g);
        await db.SaveChangesAsync(Ct);
        return ([a1.Id, a2.Id], b.Id, g.Id);
    }
}

public sealed class SqliteKnowledgeIndexingStatusTests(WorldFixture<SqliteFactory> fixture) : KnowledgeIndexingStatusTests<SqliteFactory>(fixture);

public sealed class PostgresKnowledgeIndexingStatusTests(WorldFixture<PostgresFactory> fixture) : KnowledgeIndexingStatusTests<PostgresFactory>(fixture);
