using System.Numerics.Tensors;
using Switchboard.Features.Ai;

namespace Switchboard.Tests.Ai;

public sealed class KnowledgeMatrixTests
{
    [Theory]
    [InlineData(7)]        // fewer articles than asked for
    [InlineData(1_000)]    // one scanning thread
    [InlineData(40_000)]   // large enough to be split between threads at article boundaries
    public void SearchFindsExactlyTheArticlesABruteForceRankingFinds(int rows)
    {
        var random = new Random(rows);
        var data = new List<(Guid ArticleId, string Title, string Text, float[] Embedding, string ContentHash)>();
        var article = Guid.Empty;
        for (var i = 0; i < rows; i++)
        {
            if (i == 0 || random.Next(3) == 0) article = Guid.CreateVersion7(); // articles of uneven length
            data.Add((article, "T" + article, "P" + i, Unit(random), i.ToString("x8")));
        }
        var matrix = KnowledgeMatrix.Build(data);
        var query = Unit(random);

        var found = matrix.Search(query, 10);

        var expected = data
            .Select((row, index) => (row.ArticleId, row.Text, Score: TensorPrimitives.Dot(row.Embedding, query), index))
            .GroupBy(r => r.ArticleId)
            .Select(g => g.OrderByDescending(r => r.Score).ThenBy(r => r.index).First())
            .OrderByDescending(r => r.Score).ThenBy(r => r.index)
            .Take(10)
            .ToList();
        Assert.Equal(expected.Select(e => e.ArticleId), found.Articles.Select(a => a.ArticleId));
        Assert.Equal(expected.Select(e => e.Text), found.Articles.Select(a => a.Passage));
        Assert.Equal(expected.Select(e => (double)e.Score), found.Articles.Select(a => a.Score), (x, y) => Math.Abs(x - y) < 1e-5);
        Assert.Equal(Math.Clamp(rows / KnowledgeMatrix.RowsPerScanThread, 1, Environment.ProcessorCount), matrix.ScanThreads);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(40_000)]
    public void ScoreArticlesGivesEachArticlesTwoBestPassageScoresOnOneThreadOrMany(int rows)
    {
        var random = new Random(rows + 1);
        var data = new List<(Guid ArticleId, string Title, string Text, float[] Embedding, string ContentHash)>();
        var article = Guid.Empty;
        for (var i = 0; i < rows; i++)
        {
            if (i == 0 || random.Next(4) == 0) article = Guid.CreateVersion7();
            data.Add((article, "T", "P" + i, Unit(random), i.ToString("x8")));
        }
        var matrix = KnowledgeMatrix.Build(data);
        var query = Unit(random);

        var (best, second, bestRow) = matrix.ScoreArticles(query);

        for (var a = 0; a < matrix.ArticleCount; a++)
        {
            var scores = data.Select((row, index) => (row, index)).Where(r => r.row.ArticleId == matrix.ArticleId(a))
                .Select(r => (Score: TensorPrimitives.Dot(r.row.Embedding, query), r.index)).OrderByDescending(r => r.Score).ToList();
            Assert.Equal(scores[0].Score, best[a], 5);
            Assert.Equal(scores.Count > 1 ? scores[1].Score : scores[0].Score, second[a], 5);
            Assert.Equal("P" + scores[0].index, matrix.PassageText(bestRow[a]));
        }
    }

    [Fact]
    public async Task TheArticleClassifierLearnsWhichArticleNewPassagesBelongTo()
    {
        // Five articles, each a cloud of passages around its own direction; the classifier never sees the test points.
        var random = new Random(5);
        var centres = Enumerable.Range(0, 5).Select(_ => Unit(random)).ToArray();
        var ids = centres.Select(_ => Guid.CreateVersion7()).ToArray();
        var data = new List<(Guid ArticleId, string Title, string Text, float[] Embedding, string ContentHash)>();
        for (var a = 0; a < centres.Length; a++)
        {
            for (var i = 0; i < 40; i++) data.Add((ids[a], "T" + a, $"P{a}.{i}", Near(centres[a], random), $"{a:x2}{i:x6}"));
        }
        var matrix = KnowledgeMatrix.Build(data);
        await matrix.ClassifierReady.WaitAsync(TestContext.Current.CancellationToken);
        var classifier = Assert.IsType<ArticleClassifier>(matrix.Classifier);

        var right = 0;
        for (var t = 0; t < 100; t++)
        {
            var a = t % centres.Length;
            var p = classifier.Probabilities(Near(centres[a], random));
            Assert.Equal(1.0, p.Sum(), 3);
            if (matrix.ArticleId(Array.IndexOf(p, p.Max())) == ids[a]) right++;
        }
        Assert.True(right >= 95, $"{right} of 100 new passages classified right");
    }

    [Fact]
    public void KnowledgeWithTooFewPassagesPerArticleGetsNoClassifier()
    {
        var random = new Random(3);
        var data = Enumerable.Range(0, 10).Select(i => (Guid.CreateVersion7(), "T", "P" + i, Unit(random), i.ToString("x8"))).ToList();
        var matrix = KnowledgeMatrix.Build(data);
        Assert.True(matrix.ClassifierReady.IsCompleted);
        Assert.Null(matrix.Classifier);
    }

    [Fact]
    public void FullTextSearchLeavesOutWordsMostPassagesContainOnceTheKnowledgeIsLargeEnough()
    {
        var random = new Random(9);
        var article = Guid.CreateVersion7();
        // "my" is in every passage, "card" in one in five, "refund" in one.
        var data = Enumerable.Range(0, 400)
            .Select(i => (article, "T", i == 7 ? "My refund" : i % 5 == 0 ? $"my card {i}" : $"my account {i}", Unit(random), i.ToString("x8")))
            .ToList();
        var matrix = KnowledgeMatrix.Build(data);
        Assert.Equal(400, matrix.DocumentFrequency("my"));
        Assert.Equal(1, matrix.DocumentFrequency("refund"));

        var keep = HybridRetriever.CommonWordFilter(matrix, new RetrievalOptions { FullTextMaxWordShare = 0.1 })!;
        Assert.Equal(["refund"], FullTextSearch.Terms("My CARD refund, my account").Where(keep));
        var keepMore = HybridRetriever.CommonWordFilter(matrix, new RetrievalOptions { FullTextMaxWordShare = 0.25 })!;
        Assert.Equal(["card", "refund"], FullTextSearch.Terms("My CARD refund, my account").Where(keepMore));
        Assert.Null(HybridRetriever.CommonWordFilter(matrix, new RetrievalOptions { FullTextMaxWordShare = 1 }));
        Assert.Null(HybridRetriever.CommonWordFilter(KnowledgeMatrix.Build(data.Take(50).ToList()), new RetrievalOptions()));
    }

    private static float[] Near(float[] centre, Random random)
    {
        var v = Unit(random);
        TensorPrimitives.MultiplyAdd(centre, 3f, v, v);
        TensorPrimitives.Divide(v, MathF.Sqrt(TensorPrimitives.SumOfSquares(v)), v);
        return v;
    }

    private static float[] Unit(Random random)
    {
        var v = new float[8];
        for (var i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        TensorPrimitives.Divide(v, MathF.Sqrt(TensorPrimitives.SumOfSquares(v)), v);
        return v;
    }
}
