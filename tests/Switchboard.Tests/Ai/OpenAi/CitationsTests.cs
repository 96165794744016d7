using Switchboard.Features.Ai.OpenAi;

namespace Switchboard.Tests.Ai.OpenAi;

public sealed class CitationsTests
{
    private static readonly Features.Ai.Passage[] Retrieved = [Knowledge.Delivery, Knowledge.Pin];

    [Theory]
    [InlineData("Five days [1].", "Five days [1].")]
    [InlineData("Five days [1,2].", "Five days [1,2].")]
    [InlineData("Five days [0].", "Five days.")]
    [InlineData("Five days [3] [1].", "Five days [1].")]
    [InlineData("Five days [2, 3].", "Five days [2].")]
    [InlineData("Press [#] then [*] on the keypad.", "Press [#] then [*] on the keypad.")]
    public void MarkersNamingNothingRetrievedAreRemovedAndTheRestKept(string answer, string expected)
    {
        Assert.Equal(expected, Citations.Resolve(answer, Retrieved).Text);
    }

    [Fact]
    public void CitedArticlesComeInOrderOfFirstCitationWithoutRepeats()
    {
        var result = Citations.Resolve($"PIN [2]. Card [1]. PIN again [2]. By id [{Knowledge.Delivery.ArticleId}].", Retrieved);

        Assert.Equal([Knowledge.Pin.ArticleId, Knowledge.Delivery.ArticleId], result.ArticleIds);
    }

    [Fact]
    public void AnswerWithoutPassagesCitesNothing()
    {
        Assert.Empty(Citations.Resolve("I don't know [1].", []).ArticleIds);
    }
}
