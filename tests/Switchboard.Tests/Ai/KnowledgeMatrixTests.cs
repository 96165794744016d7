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

    private static float[] Unit(Random random)
    {
        var v = new float[8];
        for (var i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        TensorPrimitives.Divide(v, MathF.Sqrt(TensorPrimitives.SumOfSquares(v)), v);
        return v;
    }
}
