using Switchboard.Features.Ai;

namespace Switchboard.Tests.Ai;

public sealed class FusionAndScoreTests
{
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid C = Guid.Parse("00000000-0000-0000-0000-00000000000c");

    private static readonly Dictionary<Guid, double> Vector = new() { [A] = 0.80, [B] = 0.78, [C] = 0.50 };

    private static List<Guid> Order(Dictionary<Guid, double> scores) => [.. scores.OrderByDescending(p => p.Value).Select(p => p.Key)];

    [Fact]
    public void WeightedFusionLetsAStrongFullTextMatchOvertakeACloseVectorNeighbourButNotADistantOne()
    {
        var options = new RetrievalOptions { FullTextWeight = 0.15 };
        var fused = HybridRetriever.Fuse(Vector, [new FullTextHit(B, 12), new FullTextHit(C, 11)], options);
        Assert.Equal([B, A, C], Order(fused));
        Assert.Equal(0.78 + 0.15, fused[B], 6);
    }

    [Fact]
    public void ReciprocalRankFusionAddsOneOverKPlusRankFromEachList()
    {
        var options = new RetrievalOptions { Fusion = FusionModes.Rrf, RrfK = 60 };
        var fused = HybridRetriever.Fuse(Vector, [new FullTextHit(C, 5), new FullTextHit(B, 4)], options);
        Assert.Equal(1.0 / 62 + 1.0 / 62, fused[B], 9);
        Assert.Equal(1.0 / 61, fused[A], 9);
        Assert.Equal(1.0 / 63 + 1.0 / 61, fused[C], 9);
        Assert.Equal([C, B, A], Order(fused));
    }

    [Fact]
    public void FullTextHitsOfArticlesOutsideTheCandidatesAreIgnored()
    {
        var outsider = Guid.NewGuid();
        var fused = HybridRetriever.Fuse(Vector, [new FullTextHit(outsider, 99), new FullTextHit(C, 1)], new RetrievalOptions());
        Assert.DoesNotContain(outsider, fused.Keys);
        Assert.Equal(0.50 + 0.15, fused[C], 6);
    }

    [Fact]
    public void EffectivenessIsABayesianAverageThatStartsAtThePriorAndMovesSlowlyWithFewOutcomes()
    {
        Assert.Equal(0.5, ArticleScores.Effectiveness(0, 0));
        Assert.Equal(5.5 / 8, ArticleScores.Effectiveness(3, 0), 9);
        Assert.Equal(2.5 / 7, ArticleScores.Effectiveness(0, 2), 9);
        Assert.True(ArticleScores.Effectiveness(0, 1) > 0.4);
        Assert.True(ArticleScores.Effectiveness(100, 0) > 0.95);
        Assert.Equal(0.5, ArticleScores.Stored(0m));
        Assert.Equal(0.75, ArticleScores.Stored(0.75m));
    }

    [Fact]
    public void TheNudgeReordersCloseNeighboursButIsBoundedToFivePercent()
    {
        var good = ArticleScores.Nudge(0.78, ArticleScores.Effectiveness(20, 0), 0.1);
        var bad = ArticleScores.Nudge(0.80, ArticleScores.Effectiveness(0, 20), 0.1);
        Assert.True(good > bad);
        Assert.Equal(0.80, ArticleScores.Nudge(0.80, ArticleScores.Prior, 0.1));
        Assert.InRange(ArticleScores.Nudge(0.5, 1, 0.1), 0.5, 0.5 * 1.05 + 1e-12);
        Assert.InRange(ArticleScores.Nudge(0.5, 0, 0.1), 0.5 * 0.95 - 1e-12, 0.5);
        Assert.True(ArticleScores.Nudge(0.5, 1, 0.1) < 0.78);
    }
}
