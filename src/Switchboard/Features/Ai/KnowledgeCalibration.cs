using System.Numerics.Tensors;

namespace Switchboard.Features.Ai;

/// <summary>
/// How strong the retrieval evidence must be before the bot answers from this knowledge base, and
/// how evidence maps to a confidence in 0..1. Computed per knowledge base when its matrix loads.
/// </summary>
/// <remarks>
/// Evidence for a question is <c>top + (top − second)</c>: the best article's score (cosine of its
/// best passage) plus its margin over the runner-up. On banking77 that combination separated
/// right answers from questions of held-out intents better than the score alone (AUC 0.91 vs 0.87).
///
/// What an unanswerable question looks like depends on the knowledge base: in a set of close
/// banking intents an unrelated intent still scores 0.7, in a small shop's six articles an
/// off-topic question scores 0.2. So each knowledge base measures it on itself, leave one article
/// out: every sampled passage is searched against the passages of the OTHER articles, as if its own
/// article did not exist, and its evidence is recorded. The threshold is the
/// <see cref="NegativeQuantile"/> quantile of those evidences: on banking77 the share of held-out
/// questions refused tracked that quantile closely (0.30 → 31 %), while answer accuracy on the
/// full set stays above 0.90. A knowledge base with few passages borrows strength from a prior.
/// Confidence is logistic around the threshold (0.5 at it), with a slope from the spread of the
/// unanswerable-like evidences, so that it reaches 0.9 near their 95th percentile.
/// </remarks>
public sealed record KnowledgeCalibration(double Threshold, double Scale, int Samples)
{
    /// <summary>Share of unanswerable-like evidence that is refused. See docs/eval.md for the trade-off.</summary>
    public const double NegativeQuantile = 0.30;

    /// <summary>Threshold assumed before any evidence, and how many samples it is worth.</summary>
    public const double PriorThreshold = 0.55;
    public const int PriorWeight = 10;

    /// <summary>
    /// Never answer below this evidence, however well separated a knowledge base is: with MiniLM,
    /// a question that shares only its domain with a passage scores about 0.2-0.35.
    /// </summary>
    public const double MinimumThreshold = 0.45;

    public const int MaxSamples = 1000;

    public static readonly KnowledgeCalibration Prior = new(PriorThreshold, 0.08, 0);

    public static double Evidence(double top, double? second) => top + (second is { } s ? top - s : 0);

    public double Confidence(double evidence) => 1 / (1 + Math.Exp(-(evidence - Threshold) / Scale));

    public bool Answers(double evidence) => evidence >= Threshold;

    /// <summary>Leave-one-article-out calibration over (a sample of) the matrix's rows.</summary>
    /// <param name="rowHashes">Each row's content hash: the sample is the rows with the lowest hashes, a uniform
    /// sample that depends on the content only, so the same knowledge always gets the same threshold.</param>
    internal static KnowledgeCalibration Compute(float[] vectors, int dimensions, int[] rowArticle, int articleCount, string[] rowHashes)
    {
        var rows = rowArticle.Length;
        if (articleCount < 2 || rows < 2)
        {
            return Prior;
        }
        var samples = Math.Min(MaxSamples, rows);
        var evidence = new double[samples];
        var sample = Enumerable.Range(0, rows).OrderBy(r => rowHashes[r], StringComparer.Ordinal).ThenBy(r => r).Take(samples).ToArray();
        Parallel.For(0, samples, () => new float[articleCount], (i, _, best) =>
        {
            var row = sample[i];
            var own = rowArticle[row];
            var query = vectors.AsSpan(row * dimensions, dimensions);
            Array.Fill(best, float.NegativeInfinity);
            for (var r = 0; r < rows; r++)
            {
                var a = rowArticle[r];
                if (a == own) continue;
                var s = TensorPrimitives.Dot(vectors.AsSpan(r * dimensions, dimensions), query);
                if (s > best[a]) best[a] = s;
            }
            var (top, second) = TopTwo(best);
            evidence[i] = Evidence(top, float.IsNegativeInfinity(second) ? null : second);
            return best;
        }, _ => { });
        Array.Sort(evidence);
        var measured = Quantile(evidence, NegativeQuantile);
        var threshold = Math.Max(MinimumThreshold, (samples * measured + PriorWeight * PriorThreshold) / (samples + PriorWeight));
        var scale = Math.Clamp((Quantile(evidence, 0.95) - threshold) / Math.Log(9), 0.03, 0.15);
        return new KnowledgeCalibration(threshold, scale, samples);
    }

    internal static (float Top, float Second) TopTwo(ReadOnlySpan<float> scores)
    {
        float top = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (var s in scores)
        {
            if (s > top) (top, second) = (s, top);
            else if (s > second) second = s;
        }
        return (top, second);
    }

    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
