using Microsoft.Extensions.AI;
using Switchboard.Features.Ai;

namespace Switchboard.Tests.Ai;

public sealed class RetrievalTests(AiHost host) : IClassFixture<AiHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Retrieval> SearchAsync(Guid organizationId, string question) =>
        await host.Get<VectorIndex>().SearchAsync(organizationId, await AiHost.Embeddings.GenerateVectorAsync(question, cancellationToken: Ct), 5, Ct);

    [Fact]
    public async Task OnASmallKnowledgeBaseAnOnTopicQuestionIsAnsweredAndAnOffTopicOneIsNot()
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);

        var onTopic = await SearchAsync(org.Id, "How long does express shipping take?");
        Assert.True(onTopic.Answerable, $"evidence {onTopic.Evidence:F3}, confidence {onTopic.Confidence:F3}");
        Assert.Equal(articles[0].Id, onTopic.Articles[0].ArticleId);
        Assert.True(onTopic.Confidence > 0.5);

        var offTopic = await SearchAsync(org.Id, "What is the best recipe for lasagna?");
        Assert.False(offTopic.Answerable, $"evidence {offTopic.Evidence:F3}, confidence {offTopic.Confidence:F3}");
        Assert.True(offTopic.Confidence < 0.5);
    }

    [Fact]
    public async Task AnotherOrganizationsArticleIsNeverRetrievedEvenWhenItIsTheBestMatch()
    {
        var mine = await host.CreateOrganizationAsync();
        var theirs = await host.CreateOrganizationAsync();
        var own = await host.AddArticlesAsync(mine.Id, ShopKnowledge.Articles);
        var secret = (await host.AddArticlesAsync(theirs.Id, ("Lasagna recipe", "Our secret lasagna recipe layers fresh pasta with slow-cooked ragù and béchamel.")))[0];
        var global = (await host.AddArticlesAsync(null, ("Cookie policy", "This site uses cookies to keep you signed in.")))[0];

        var asked = await SearchAsync(mine.Id, "What is your secret lasagna recipe?");
        Assert.DoesNotContain(asked.Articles, a => a.ArticleId == secret.Id);
        Assert.All(asked.Articles, a => Assert.Contains(a.ArticleId, own.Select(o => o.Id).Append(global.Id)));

        var globalAsked = await SearchAsync(mine.Id, "Does this site use cookies?");
        Assert.Equal(global.Id, globalAsked.Articles[0].ArticleId);

        // The other organization does find its own article.
        Assert.Equal(secret.Id, (await SearchAsync(theirs.Id, "What is your secret lasagna recipe?")).Articles[0].ArticleId);
    }

    [Fact]
    public async Task NewKnowledgeIsFoundOnceIndexedAndDeactivatedKnowledgeIsNot()
    {
        var org = await host.CreateOrganizationAsync();
        await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles[..2]);
        var before = await SearchAsync(org.Id, "How do I reset my password?");

        var added = (await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles[4]))[0];
        var after = await SearchAsync(org.Id, "How do I reset my password?");
        Assert.DoesNotContain(before.Articles, a => a.ArticleId == added.Id);
        Assert.Equal(added.Id, after.Articles[0].ArticleId);

        await using (var db = host.SystemDb.CreateContext())
        {
            await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ExecuteUpdateAsync(
                db.Knowledge.Where(a => a.Id == added.Id), s => s.SetProperty(a => a.IsActive, false), Ct);
        }
        host.Get<VectorIndex>().Invalidate(org.Id); // what the knowledge API does on every write
        Assert.DoesNotContain((await SearchAsync(org.Id, "How do I reset my password?")).Articles, a => a.ArticleId == added.Id);
    }
}
