using Switchboard.Features.Ai;

namespace Switchboard.Tests.Ai;

public sealed class ExtractiveAnswererTests
{
    [Fact]
    public async Task ItAnswersWithTheBestPassageWordForWordStreamedInPiecesAndCitesItsArticle()
    {
        var best = new Passage(Guid.NewGuid(), "Returns", "You can return unworn items within 30 days of delivery.  Start a return from Orders.", 0.8);
        var other = new Passage(Guid.NewGuid(), "Shipping", "Standard shipping takes 3-5 business days.", 0.4);
        var updates = await new ExtractiveAnswerer()
            .AnswerAsync(new AnswerRequest("Can I return my jacket?", [best, other], []), TestContext.Current.CancellationToken)
            .ToListAsync(TestContext.Current.CancellationToken);

        var deltas = updates.Where(u => u.TextDelta is not null).Select(u => u.TextDelta!).ToList();
        var completion = Assert.Single(updates, u => u.Completion is not null).Completion!;
        Assert.True(deltas.Count > 1, "streamed in more than one piece");
        Assert.Equal(best.Text, string.Concat(deltas));
        Assert.Equal(best.Text, completion.Text);
        Assert.Equal([best.ArticleId], completion.CitedArticleIds);
        Assert.Equal("extractive", completion.Model);
        Assert.Null(completion.FallbackReason);
        Assert.Same(updates[^1].Completion, completion);
    }

    [Fact]
    public async Task WithoutPassagesItCitesNothing()
    {
        var updates = await new ExtractiveAnswerer()
            .AnswerAsync(new AnswerRequest("Anything?", [], []), TestContext.Current.CancellationToken)
            .ToListAsync(TestContext.Current.CancellationToken);
        Assert.Empty(updates[^1].Completion!.CitedArticleIds);
    }
}
