using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Features.Ai;
using Switchboard.Features.Knowledge;

namespace Switchboard.Tests.Ai;

public sealed class KnowledgeHeadingIndexingTests(AiHost host) : IClassFixture<AiHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Handbook = """
        # Returns
        Unused items can be returned within 60 days.

        Print the prepaid label from your order page.

        ## Refund timing
        Refunds reach your card within 5 business days.

        # Shipping
        Orders ship within 2 business days.
        """;

    private async Task<(KnowledgeIndexer Indexer, CountingEmbeddings Counting, Guid ArticleId)> IndexedHandbookAsync()
    {
        var counting = new CountingEmbeddings(AiHost.Embeddings);
        var indexer = new KnowledgeIndexer(host.SystemDb, new EmbeddingModels(counting, host.Services), host.Get<VectorIndex>(), new ReembeddingStatus(),
            NullLogger<KnowledgeIndexer>.Instance);
        var org = await host.CreateOrganizationAsync();
        var article = new KnowledgeArticle { OrganizationId = org.Id, Title = "Handbook", Content = Handbook };
        await using (var db = host.SystemDb.CreateContext())
        {
            db.Knowledge.Add(article);
            await db.SaveChangesAsync(Ct);
        }
        Assert.Equal(new IndexingResult(1, 4), await indexer.IndexAsync([article.Id], null, Ct));
        return (indexer, counting, article.Id);
    }

    private async Task<List<KnowledgeChunk>> ChunksAsync(Guid articleId)
    {
        await using var db = host.SystemDb.CreateContext();
        return await db.KnowledgeChunks.AsNoTracking().Where(c => c.ArticleId == articleId).OrderBy(c => c.Ordinal).ToListAsync(Ct);
    }

    private async Task EditAsync(Guid articleId, string content)
    {
        await using var db = host.SystemDb.CreateContext();
        await db.Knowledge.Where(a => a.Id == articleId).ExecuteUpdateAsync(s => s.SetProperty(a => a.Content, content), Ct);
    }

    [Fact]
    public async Task TheHeadingPathReachesTheStoredPassageAndItsHash()
    {
        var (_, _, articleId) = await IndexedHandbookAsync();

        var chunks = await ChunksAsync(articleId);
        Assert.Equal(["Returns", "Returns", "Returns › Refund timing", "Shipping"], chunks.Select(c => c.Heading));
        Assert.Equal("Returns › Refund timing\nRefunds reach your card within 5 business days.", chunks[2].Text);
        Assert.All(chunks, c => Assert.Equal(KnowledgeChunker.Hash(c.EmbeddingModel, c.Text), c.ContentHash));
    }

    [Fact]
    public async Task RenamingASectionReEmbedsOnlyThatSectionsPassagesAndReIndexingUnchangedContentEmbedsNothing()
    {
        var (indexer, counting, articleId) = await IndexedHandbookAsync();
        var before = await ChunksAsync(articleId);

        Assert.Equal(new IndexingResult(0, 0), await indexer.IndexAsync([articleId], null, Ct));
        Assert.Equal(4, counting.Texts);

        await EditAsync(articleId, Handbook.Replace("## Refund timing", "## When refunds arrive", StringComparison.Ordinal));
        Assert.Equal(new IndexingResult(1, 1), await indexer.IndexAsync([articleId], null, Ct));
        Assert.Equal(5, counting.Texts);

        var after = await ChunksAsync(articleId);
        Assert.Equal("Returns › When refunds arrive", after[2].Heading);
        Assert.NotEqual(before[2].ContentHash, after[2].ContentHash);
        // The other sections' passages keep their hashes and their very vectors.
        foreach (var i in new[] { 0, 1, 3 })
        {
            Assert.Equal(before[i].ContentHash, after[i].ContentHash);
            Assert.Equal(before[i].Embedding, after[i].Embedding);
        }
    }

    [Fact]
    public async Task RenamingAParentHeadingReEmbedsEveryPassageUnderItAndNothingElse()
    {
        var (indexer, counting, articleId) = await IndexedHandbookAsync();

        await EditAsync(articleId, Handbook.Replace("# Returns", "# Returns and refunds", StringComparison.Ordinal));
        Assert.Equal(new IndexingResult(1, 3), await indexer.IndexAsync([articleId], null, Ct));
        Assert.Equal(7, counting.Texts);
        Assert.Equal(["Returns and refunds", "Returns and refunds", "Returns and refunds › Refund timing", "Shipping"],
            (await ChunksAsync(articleId)).Select(c => c.Heading));
    }
}
