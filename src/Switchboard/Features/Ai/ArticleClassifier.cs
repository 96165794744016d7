using System.Numerics.Tensors;

namespace Switchboard.Features.Ai;

/// <summary>
/// A per-knowledge-base article classifier: multinomial logistic regression from a passage's embedding
/// to the article it belongs to, trained on the knowledge base's own passages. Where articles are
/// collections of ways customers ask the same thing (banking77), it learns which directions of the
/// embedding space tell two close articles apart, which nearest-passage search cannot; its probability
/// is one more piece of evidence in <see cref="HybridRetriever"/>'s fusion (docs/eval.md: +0.5 points
/// of top-1 accuracy on banking77 on top of vectors and full-text search).
/// </summary>
/// <remarks>
/// Trained with Adam on mini-batches (a fixed seed, so the same knowledge gives the same model), logits
/// scaled by <see cref="Scale"/> because the inputs are unit vectors, L2 regularisation against
/// memorising single passages. Bounded: at most <see cref="MaxRowsPerEpoch"/> passages per epoch and
/// no model for knowledge bases whose articles have too few passages to learn from.
/// </remarks>
public sealed class ArticleClassifier
{
    public const int Epochs = 15;
    public const int BatchSize = 64;
    public const float Scale = 10f;
    public const float LearningRate = 0.005f;
    public const float L2 = 1e-4f;
    public const int MaxRowsPerEpoch = 20_000;
    public const int MaxArticles = 2_000;

    /// <summary>Passages per article, on average, below which there is nothing to learn that search does not know.</summary>
    public const double MinPassagesPerArticle = 3;

    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly int _dimensions;

    private ArticleClassifier(float[] weights, float[] bias, int dimensions)
    {
        _weights = weights;
        _bias = bias;
        _dimensions = dimensions;
    }

    public int Articles => _bias.Length;

    /// <summary>Whether a knowledge base of this shape gets a classifier at all.</summary>
    public static bool Worthwhile(int rows, int articles) =>
        articles is >= 2 and <= MaxArticles && rows >= MinPassagesPerArticle * articles;

    /// <summary>Probability of each article (same order as the matrix's articles) for a unit query vector.</summary>
    public float[] Probabilities(ReadOnlySpan<float> query)
    {
        var logits = new float[_bias.Length];
        Logits(query, logits);
        SoftMax(logits);
        return logits;
    }

    /// <summary>Trains on rows grouped by article (<paramref name="rowArticle"/>); null when not <see cref="Worthwhile"/>.</summary>
    public static ArticleClassifier? Train(float[] vectors, int dimensions, int[] rowArticle, int articles, CancellationToken ct)
    {
        var rows = rowArticle.Length;
        if (!Worthwhile(rows, articles) || vectors.Length != rows * dimensions)
        {
            return null;
        }
        var model = new ArticleClassifier(new float[articles * dimensions], new float[articles], dimensions);
        var adamWeights = new Adam(model._weights.Length);
        var adamBias = new Adam(articles);
        var gradWeights = new float[model._weights.Length];
        var gradBias = new float[articles];
        var probabilities = new float[articles];
        var order = Enumerable.Range(0, rows).ToArray();
        var random = new Random(77);
        var perEpoch = Math.Min(rows, MaxRowsPerEpoch);
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < perEpoch; start += BatchSize)
            {
                ct.ThrowIfCancellationRequested();
                Array.Clear(gradWeights);
                Array.Clear(gradBias);
                var end = Math.Min(perEpoch, start + BatchSize);
                for (var k = start; k < end; k++)
                {
                    var row = order[k];
                    var x = vectors.AsSpan(row * dimensions, dimensions);
                    model.Logits(x, probabilities);
                    SoftMax(probabilities);
                    probabilities[rowArticle[row]] -= 1; // gradient of the cross-entropy w.r.t. the logits
                    for (var a = 0; a < articles; a++)
                    {
                        var g = probabilities[a];
                        if (MathF.Abs(g) < 1e-4f) continue; // a settled article: nothing to learn from this row
                        var slot = gradWeights.AsSpan(a * dimensions, dimensions);
                        TensorPrimitives.MultiplyAdd(x, g * Scale, slot, slot);
                        gradBias[a] += g;
                    }
                }
                var batch = end - start;
                TensorPrimitives.Divide(gradWeights, batch, gradWeights);
                TensorPrimitives.MultiplyAdd(model._weights, L2, gradWeights, gradWeights);
                TensorPrimitives.Divide(gradBias, batch, gradBias);
                adamWeights.Step(model._weights, gradWeights);
                adamBias.Step(model._bias, gradBias);
            }
        }
        return model;
    }

    private void Logits(ReadOnlySpan<float> x, Span<float> logits)
    {
        for (var a = 0; a < logits.Length; a++)
        {
            logits[a] = Scale * TensorPrimitives.Dot(_weights.AsSpan(a * _dimensions, _dimensions), x) + _bias[a];
        }
    }

    // Shifted by the largest logit first, so no exponent overflows.
    private static void SoftMax(Span<float> logits)
    {
        TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), logits);
        TensorPrimitives.Exp(logits, logits);
        TensorPrimitives.Divide(logits, TensorPrimitives.Sum(logits), logits);
    }

    private sealed class Adam(int size)
    {
        private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;
        private readonly float[] _m = new float[size];
        private readonly float[] _v = new float[size];
        private int _t;

        public void Step(float[] parameters, float[] gradient)
        {
            _t++;
            var c1 = 1 - MathF.Pow(Beta1, _t);
            var c2 = 1 - MathF.Pow(Beta2, _t);
            for (var i = 0; i < parameters.Length; i++)
            {
                var g = gradient[i];
                _m[i] = Beta1 * _m[i] + (1 - Beta1) * g;
                _v[i] = Beta2 * _v[i] + (1 - Beta2) * g * g;
                parameters[i] -= LearningRate * (_m[i] / c1) / (MathF.Sqrt(_v[i] / c2) + Epsilon);
            }
        }
    }
}
