using Switchboard.Features.Knowledge;

namespace Switchboard.Tests.Ai;

public sealed class KnowledgeChunkerTests
{
    [Fact]
    public void EachNonEmptyLineIsAPassage()
    {
        var chunks = KnowledgeChunker.Split("Where is my card?\r\n\r\n  My card has not arrived yet.  \nHow long does delivery take?\n");
        Assert.Equal(["Where is my card?", "My card has not arrived yet.", "How long does delivery take?"], chunks);
    }

    [Fact]
    public void ALongParagraphIsCutAtSentenceBoundariesIntoPassagesOfAtMostTheLimit()
    {
        var sentences = Enumerable.Range(1, 30).Select(i => $"Sentence number {i} explains one more detail of the return policy.").ToList();
        var chunks = KnowledgeChunker.Split(string.Join(' ', sentences));

        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, KnowledgeChunker.MaxLength));
        Assert.All(chunks, c => Assert.EndsWith("policy.", c, StringComparison.Ordinal));
        Assert.Equal(string.Join(' ', sentences), string.Join(' ', chunks));
    }

    [Fact]
    public void ASentenceLongerThanAPassageIsCutBetweenWords()
    {
        var words = string.Join(' ', Enumerable.Repeat("word", 300));
        var chunks = KnowledgeChunker.Split(words);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, KnowledgeChunker.MaxLength));
        Assert.Equal(words, string.Join(' ', chunks));
    }

    [Fact]
    public void AHeadingStaysWithTheParagraphBelowItAndAListWithItsIntroduction()
    {
        var chunks = KnowledgeChunker.Split("## Payment\nWe accept these cards:\n- Visa\n- Mastercard\nYour card is charged when the order ships.");
        Assert.Equal(["Payment\nWe accept these cards:\n- Visa\n- Mastercard", "Your card is charged when the order ships."], chunks);
    }

    [Fact]
    public void TheHashChangesWithTheTextAndTheModel()
    {
        var hash = KnowledgeChunker.Hash("all-MiniLM-L6-v2", "Refunds take 5 days.");
        Assert.Equal(hash, KnowledgeChunker.Hash("all-MiniLM-L6-v2", "Refunds take 5 days."));
        Assert.NotEqual(hash, KnowledgeChunker.Hash("all-MiniLM-L6-v2", "Refunds take 6 days."));
        Assert.NotEqual(hash, KnowledgeChunker.Hash("text-embedding-3-small", "Refunds take 5 days."));
    }
}
