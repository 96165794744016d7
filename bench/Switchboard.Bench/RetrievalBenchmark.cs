using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Switchboard.Features.Ai;

namespace Switchboard.Bench;

/// <summary>
/// Exact search over one organization's passages, as <see cref="KnowledgeMatrix.Search"/> runs it for every
/// customer question: p50/p99 per query, and the bytes of embeddings scanned per second against the memory
/// bandwidth of this machine measured in the same run.
/// </summary>
public static class RetrievalBenchmark
{
    private const int Dimensions = 384; // all-MiniLM-L6-v2
    private const int PassagesPerArticle = 4;
    private const int WarmupQueries = 30;

    public sealed record SizeResult(int Passages, int Articles, double BuildSeconds, double P50Ms, double P99Ms, double MeanMs,
        long BytesPerQuery, double BytesPerSecond, double ShareOfBandwidth);

    public static async Task<int> RunAsync(int[] sizes, int queries, FileInfo? json, CancellationToken ct)
    {
        if (sizes.Length == 0 || sizes.Any(s => s < 2) || queries < 1)
        {
            Console.Error.WriteLine("error: --sizes needs numbers of at least 2 and --queries at least 1.");
            return 1;
        }
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
        Console.Write("Measuring memory bandwidth (512 MiB sequential read)... ");
        var bandwidth = MemoryBandwidth.Measure();
        Console.WriteLine($"one thread {Gb(bandwidth.SingleThreadBytesPerSecond)}, all cores {Gb(bandwidth.AllCoresBytesPerSecond)}");
        // The search scans on several threads once the matrix is large enough; compare with the bandwidth it can reach.
        var results = new List<SizeResult>();
        foreach (var size in sizes)
        {
            ct.ThrowIfCancellationRequested();
            Console.Write($"{size,9:N0} passages: building... ");
            var random = new Random(size);
            var start = Stopwatch.GetTimestamp();
            var matrix = KnowledgeMatrix.Build(Rows(size, random));
            var build = Stopwatch.GetElapsedTime(start).TotalSeconds;
            // The article classifier trains in the background; searching is measured without it competing for a core.
            await matrix.ClassifierReady.WaitAsync(ct);
            Console.Write($"{build:F1} s; querying... ");

            var questions = Enumerable.Range(0, WarmupQueries + queries).Select(_ => UnitVector(random)).ToArray();
            var timings = new double[queries];
            var sink = 0.0;
            for (var q = 0; q < questions.Length; q++)
            {
                var t = Stopwatch.GetTimestamp();
                var found = matrix.Search(questions[q], 5);
                var elapsed = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                sink += found.Evidence;
                if (q >= WarmupQueries) timings[q - WarmupQueries] = elapsed;
            }
            Array.Sort(timings);
            var bytes = (long)size * Dimensions * sizeof(float);
            var p50 = Percentile(timings, 0.50);
            var perSecond = bytes / (p50 / 1000);
            var reachable = matrix.ScanThreads > 1 ? bandwidth.AllCoresBytesPerSecond : bandwidth.SingleThreadBytesPerSecond;
            var result = new SizeResult(size, matrix.ArticleCount, build, p50, Percentile(timings, 0.99), timings.Average(), bytes, perSecond, perSecond / reachable);
            results.Add(result);
            Console.WriteLine($"p50 {p50:F2} ms, p99 {result.P99Ms:F2} ms, {Gb(perSecond)} scanned on {matrix.ScanThreads} thread(s) " +
                $"= {result.ShareOfBandwidth:P0} of that bandwidth{(sink == 0 ? "" : "")}");
        }

        Console.WriteLine();
        Console.WriteLine("| passages | articles | p50 ms | p99 ms | mean ms | MB scanned/query | scanned/s | share of bandwidth |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Passages:N0} | {r.Articles:N0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MeanMs:F2} | {r.BytesPerQuery / 1e6:F1} | {Gb(r.BytesPerSecond)} | {r.ShareOfBandwidth:P0} |"));
        }
        if (json is not null)
        {
            var document = new { bandwidth, results, dimensions = Dimensions, queries, cores = Environment.ProcessorCount };
            await File.WriteAllTextAsync(json.FullName, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }), ct);
        }
        return 0;
    }

    private static List<(Guid ArticleId, string Title, string Text, float[] Embedding, string ContentHash)> Rows(int size, Random random)
    {
        var rows = new List<(Guid, string, string, float[], string)>(size);
        var article = Guid.Empty;
        for (var i = 0; i < size; i++)
        {
            if (i % PassagesPerArticle == 0) article = Guid.CreateVersion7();
            rows.Add((article, "Article " + (i / PassagesPerArticle), "Passage " + i, UnitVector(random), i.ToString("x8", CultureInfo.InvariantCulture)));
        }
        return rows;
    }

    private static float[] UnitVector(Random random)
    {
        var v = new float[Dimensions];
        for (var i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(v));
        System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
        return v;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string Gb(double bytesPerSecond) => (bytesPerSecond / 1e9).ToString("F1", CultureInfo.InvariantCulture) + " GB/s";
}
