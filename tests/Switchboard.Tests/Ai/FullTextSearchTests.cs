using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Switchboard.Features.Ai;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Ai;

/// <summary>Migrated PostgreSQL database for <see cref="AiHost"/> (the trusted path runs on the admin connection, as on a server).</summary>
public sealed class PostgresAiHost : AiHost
{
    protected override async Task<Dictionary<string, string?>> DatabaseSettingsAsync(string directory)
    {
        var database = await PostgresMigrations.CreateMigratedDatabaseAsync("ai");
        return new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["Database:MigrateOnStartup"] = "false",
            ["ConnectionStrings:Switchboard"] = database.RequestConnectionString,
            ["ConnectionStrings:SwitchboardAdmin"] = database.AdminConnectionString,
        };
    }
}

public abstract class FullTextSearchTests<THost>(THost host) where THost : AiHost
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<List<FullTextHit>> SearchAsync(Guid organizationId, string question) =>
        host.Get<FullTextSearch>().SearchAsync(organizationId, question, 50, Ct);

    [Fact]
    public async Task FullTextSearchNeverReturnsAnotherOrganizationsPassagesButFindsGlobalOnes()
    {
        var mine = await host.CreateOrganizationAsync();
        var theirs = await host.CreateOrganizationAsync();
        var own = (await host.AddArticlesAsync(mine.Id, ("Parcels", "Parcels are shipped by courier within two days.")))[0];
        var secret = (await host.AddArticlesAsync(theirs.Id, ("Zorblax", "The zorblax warranty covers parcels for ten years.")))[0];
        var global = (await host.AddArticlesAsync(null, ("Quuxwidget", "Every quuxwidget ships with a manual.")))[0];

        var hits = await SearchAsync(mine.Id, "zorblax warranty parcels quuxwidget");
        Assert.Contains(hits, h => h.ArticleId == own.Id);
        Assert.Contains(hits, h => h.ArticleId == global.Id);
        Assert.DoesNotContain(hits, h => h.ArticleId == secret.Id);
        Assert.Empty(await SearchAsync(mine.Id, "zorblax"));

        // The other organization finds its own passage with the same words.
        Assert.Contains(await SearchAsync(theirs.Id, "zorblax warranty"), h => h.ArticleId == secret.Id);
    }

    [Fact]
    public async Task FullTextSearchSkipsDeactivatedArticlesAndDeletedPassages()
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ("Frobnicator", "The frobnicator resets itself at midnight."),
            ("Gizmotron", "The gizmotron needs a frobnicator cable."));
        Assert.Equal(2, (await SearchAsync(org.Id, "frobnicator")).Count);

        await using (var db = host.SystemDb.CreateContext())
        {
            await db.Knowledge.Where(a => a.Id == articles[0].Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.IsActive, false), Ct);
            await db.KnowledgeChunks.Where(c => c.ArticleId == articles[1].Id).ExecuteDeleteAsync(Ct);
        }
        Assert.Empty(await SearchAsync(org.Id, "frobnicator"));
    }

    [Fact]
    public async Task AQuestionFullOfSearchSyntaxIsSearchedAsPlainWords()
    {
        var org = await host.CreateOrganizationAsync();
        var article = (await host.AddArticlesAsync(org.Id, ("Wibble", "Wibble plans can be cancelled at any time.")))[0];

        var hits = await SearchAsync(org.Id, "\"wibble\" NEAR(cancel* OR) title: ^ & | ! ( ) ' -- ;");
        Assert.Equal(article.Id, Assert.Single(hits).ArticleId);
        Assert.Empty(await SearchAsync(org.Id, "?! ... --"));
    }

    [Fact]
    public async Task TheHybridRetrieverOnlyRanksArticlesOfTheFilteredCategoryOrTags()
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);
        await using (var db = host.SystemDb.CreateContext())
        {
            await db.Knowledge.Where(a => a.Id == articles[1].Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Category, "returns"), Ct);
            var tagged = await db.Knowledge.SingleAsync(a => a.Id == articles[2].Id, Ct);
            tagged.Tags = ["vip"];
            await db.SaveChangesAsync(Ct);
        }
        var question = "How long does express shipping take?";
        var vector = await AiHost.Embeddings.GenerateVectorAsync(question, cancellationToken: Ct);
        var retriever = host.Get<HybridRetriever>();

        var all = await retriever.RetrieveAsync(org.Id, vector, question, 5, null, Ct);
        Assert.Equal(articles[0].Id, all.Articles[0].ArticleId);

        var returns = await retriever.RetrieveAsync(org.Id, vector, question, 5, new RetrievalFilter("returns", []), Ct);
        Assert.Equal(articles[1].Id, Assert.Single(returns.Articles).ArticleId);

        var vip = await retriever.RetrieveAsync(org.Id, vector, question, 5, new RetrievalFilter(null, ["VIP"]), Ct);
        Assert.Equal(articles[2].Id, Assert.Single(vip.Articles).ArticleId);
    }
}

public sealed class SqliteFullTextSearchTests(AiHost host) : FullTextSearchTests<AiHost>(host), IClassFixture<AiHost>;

public sealed class PostgresFullTextSearchTests(PostgresAiHost host) : FullTextSearchTests<PostgresAiHost>(host), IClassFixture<PostgresAiHost>;
