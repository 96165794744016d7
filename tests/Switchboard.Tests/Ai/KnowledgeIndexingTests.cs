using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Features.Ai;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Tests.Ai;

public sealed class KnowledgeIndexingTests(AiHost host) : IClassFixture<AiHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IndexingStoresOnePassagePerParagraphAndTheArticlesOwnNormalisedEmbedding()
    {
        var org = await host.CreateOrganizationAsync();
        var article = (await host.AddArticlesAsync(org.Id, ("Returns", "You can return items within 30 days.\n\nRefunds take 5 business days.")))[0];

        await using var db = host.SystemDb.CreateContext();
        var chunks = await db.KnowledgeChunks.AsNoTracking().Where(c => c.ArticleId == article.Id).OrderBy(c => c.Ordinal).ToListAsync(Ct);
        Assert.Equal(["You can return items within 30 days.", "Refunds take 5 business days."], chunks.Select(c => c.Text));
        Assert.All(chunks, c =>
        {
            Assert.Equal(org.Id, c.OrganizationId);
            Assert.Equal(LocalEmbeddingGenerator.ModelName, c.EmbeddingModel);
            Assert.Equal(LocalEmbeddingGenerator.Dimensions, c.Embedding.Length);
            Assert.Equal(KnowledgeChunker.Hash(c.EmbeddingModel, c.Text), c.ContentHash);
        });
        var stored = await db.Knowledge.AsNoTracking().SingleAsync(a => a.Id == article.Id, Ct);
        Assert.Equal(LocalEmbeddingGenerator.ModelName, stored.EmbeddingModel);
        Assert.Equal(1.0, Math.Sqrt(stored.Embeddings!.Sum(x => (double)x * x)), 3);
        // Computing embeddings is not an edit: updated_at stays as saved (the database keeps milliseconds).
        Assert.Equal(article.UpdatedAt, stored.UpdatedAt, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task UnchangedContentIsNotEmbeddedAgainAndAnEditEmbedsOnlyThePassageItChanged()
    {
        var counting = new CountingEmbeddings(AiHost.Embeddings);
        var indexer = new KnowledgeIndexer(host.SystemDb, new EmbeddingModels(counting, host.Services), host.Get<VectorIndex>(), new ReembeddingStatus(),
            NullLogger<KnowledgeIndexer>.Instance);
        var org = await host.CreateOrganizationAsync();
        var article = new KnowledgeArticle { OrganizationId = org.Id, Title = "Shipping", Content = "Standard takes 3 days.\nExpress takes 1 day.\nWe ship worldwide." };
        await using (var db = host.SystemDb.CreateContext())
        {
            db.Knowledge.Add(article);
            await db.SaveChangesAsync(Ct);
        }

        var first = await indexer.IndexAsync([article.Id], null, Ct);
        Assert.Equal(new IndexingResult(1, 3), first);
        Assert.Equal(3, counting.Texts);

        var again = await indexer.IndexAsync([article.Id], null, Ct);
        Assert.Equal(new IndexingResult(0, 0), again);
        Assert.Equal(3, counting.Texts);

        await using (var db = host.SystemDb.CreateContext())
        {
            await db.Knowledge.Where(a => a.Id == article.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Content, "Standard takes 3 days.\nExpress takes 2 days.\nWe ship worldwide."), Ct);
        }
        var edited = await indexer.IndexAsync([article.Id], null, Ct);
        Assert.Equal(new IndexingResult(1, 1), edited);
        Assert.Equal(4, counting.Texts);
        await using (var db = host.SystemDb.CreateContext())
        {
            Assert.Equal(["Standard takes 3 days.", "Express takes 2 days.", "We ship worldwide."],
                await db.KnowledgeChunks.Where(c => c.ArticleId == article.Id).OrderBy(c => c.Ordinal).Select(c => c.Text).ToListAsync(Ct));
        }
    }

    [Fact]
    public async Task ArticlesWrittenWithoutTheApiAreCaughtUpAndDeletingAnArticleDeletesItsPassages()
    {
        var org = await host.CreateOrganizationAsync();
        var article = new KnowledgeArticle { OrganizationId = org.Id, Title = "Gift cards", Content = "Gift cards never expire." };
        await using (var db = host.SystemDb.CreateContext())
        {
            db.Knowledge.Add(article);
            await db.SaveChangesAsync(Ct);
        }

        // What the background service runs once the server has started: demo data and imports are indexed.
        await host.Get<KnowledgeIndexer>().IndexAllAsync(null, Ct);

        await using var check = host.SystemDb.CreateContext();
        Assert.Equal(1, await check.KnowledgeChunks.CountAsync(c => c.ArticleId == article.Id, Ct));
        await check.Knowledge.Where(a => a.Id == article.Id).ExecuteDeleteAsync(Ct);
        Assert.Equal(0, await check.KnowledgeChunks.CountAsync(c => c.ArticleId == article.Id, Ct));
    }

    [Fact]
    public async Task MembersSeeTheirOrganizationsPassagesAndGlobalOnesButNotAnotherOrganizations()
    {
        var mine = await host.CreateOrganizationAsync();
        var theirs = await host.CreateOrganizationAsync();
        var own = (await host.AddArticlesAsync(mine.Id, ("Ours", "Our own passage.")))[0];
        var other = (await host.AddArticlesAsync(theirs.Id, ("Theirs", "Their private passage.")))[0];
        var global = (await host.AddArticlesAsync(null, ("Everyone's", "A passage for everyone.")))[0];

        var principal = new CurrentPrincipal();
        principal.SignIn(Guid.NewGuid(), false, [new(mine.Id, OrgRoles.Member)]);
        await using var db = new Switchboard.Data.Sqlite.SqliteAppDbContext(
            new DbContextOptionsBuilder<Switchboard.Data.Sqlite.SqliteAppDbContext>()
                .UseSqlite(host.Get<Microsoft.Extensions.Options.IOptions<Switchboard.Data.DatabaseOptions>>().Value.RequestConnectionString).Options,
            principal);
        var seen = await db.KnowledgeChunks.Select(c => c.ArticleId).Where(id => id == own.Id || id == other.Id || id == global.Id).ToListAsync(Ct);
        Assert.Equal(new[] { own.Id, global.Id }.Order(), seen.Order());
    }
}

/// <summary>The real embeddings, counting how many texts were embedded.</summary>
internal sealed class CountingEmbeddings(IEmbeddingGenerator<string, Embedding<float>> inner) : IEmbeddingGenerator<string, Embedding<float>>
{
    private int _texts;

    public int Texts => _texts;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values.ToList();
        Interlocked.Add(ref _texts, list.Count);
        return inner.GenerateAsync(list, options, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

    public void Dispose()
    {
    }
}
