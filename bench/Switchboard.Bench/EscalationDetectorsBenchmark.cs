using System.Globalization;
using CsvHelper;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Cli;
using Switchboard.Features.Escalation.Detectors;

namespace Switchboard.Bench;

/// <summary>
/// Precision and recall of the escalation detectors on real customer messages: the HINT3 training sets
/// (three live bots; docs/bench.md "Escalation detectors"). Positives for "asks for a person" are the
/// CHAT_WITH_AGENT / CHAT_WITH_AN_AGENT labels, every other label is a negative; CALL_CENTER and
/// CONTACT_NUMBER (asking for a phone line) are reported both as negatives and as positives. Frustration
/// positives are CRITICISM. The human-request weights are reported as written by hand and as fitted by
/// logistic regression, the latter only on held-out data (stratified k-fold and leave-one-bot-out).
/// </summary>
public static partial class EscalationDetectorsBenchmark
{
    public sealed record Row(string Bot, string Sentence, string Label)
    {
        public bool AsksForPerson => Label is "CHAT_WITH_AGENT" or "CHAT_WITH_AN_AGENT";
        public bool AsksForPhone => Label is "CALL_CENTER" or "CONTACT_NUMBER";
        public bool Complains => Label is "CRITICISM";
    }

    public sealed record Counts(int Tp, int Fp, int Fn, int Tn)
    {
        public double Precision => Tp + Fp == 0 ? double.NaN : (double)Tp / (Tp + Fp);
        public double Recall => Tp + Fn == 0 ? double.NaN : (double)Tp / (Tp + Fn);
        public double F1 => Tp == 0 ? 0 : 2.0 * Tp / (2.0 * Tp + Fp + Fn);

        public static Counts Of(IEnumerable<(bool Predicted, bool Actual)> pairs)
        {
            int tp = 0, fp = 0, fn = 0, tn = 0;
            foreach (var (p, a) in pairs)
            {
                if (p && a) tp++; else if (p) fp++; else if (a) fn++; else tn++;
            }
            return new Counts(tp, fp, fn, tn);
        }
    }

    public static async Task<int> RunAsync(string? data, int folds, string[] configuration, CancellationToken ct)
    {
        var directory = DataDirectory(data);
        if (directory is null || !Directory.Exists(directory) || Directory.GetFiles(directory, "*_train.csv").Length == 0)
        {
            Console.Error.WriteLine($"error: no HINT3 *_train.csv files in \"{directory ?? data}\". Pass --data <dir> (the folder holding curekart_train.csv etc.).");
            return 1;
        }
        var rows = ReadRows(directory);
        Console.WriteLine($"{rows.Count} messages from {string.Join(", ", rows.GroupBy(r => r.Bot).Select(g => $"{g.Key} ({g.Count()})"))} in {directory}");
        Console.WriteLine($"asks for a person: {rows.Count(r => r.AsksForPerson)}; asks for a phone line: {rows.Count(r => r.AsksForPhone)}; complains: {rows.Count(r => r.Complains)}");

        var temp = Directory.CreateTempSubdirectory("switchboard-detectors-");
        try
        {
            await using var host = EvalCommand.BuildHost(temp.FullName, configuration);
            var detector = host.Services.GetRequiredService<HumanRequestDetector>();
            var started = System.Diagnostics.Stopwatch.StartNew();
            var features = await detector.FeaturesAsync([.. rows.Select(r => r.Sentence)], ct);
            Console.WriteLine($"Scored {rows.Count} messages in {started.Elapsed.TotalSeconds:0.0} s (embedding model: {Features.Ai.EmbeddingModels.ModelOf(host.Services.GetRequiredService<Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>>())}).");
            Report(rows, features, folds);
        }
        finally
        {
            try { temp.Delete(recursive: true); } catch (IOException) { }
        }
        return 0;
    }

    public static void Report(IReadOnlyList<Row> rows, IReadOnlyList<HumanRequestFeatures> features, int folds)
    {
        var frustration = rows.Select(r => FrustrationDetector.Score(r.Sentence, []).Score >= FrustrationDetector.DefaultThreshold).ToArray();
        bool[] Predict(HumanRequestWeights w) => [.. features.Select(f => w.Score(f) >= HumanRequestDetector.DefaultThreshold)];

        if (!rows.Any(r => r.AsksForPerson))
        {
            // A set without any request for a person (e.g. ordinary questions): only false alarms can be counted.
            var flagged = Predict(HumanRequestWeights.Default);
            Console.WriteLine($"No labelled requests for a person: every flag is a false alarm. Asks for a person: {flagged.Count(f => f)} of {rows.Count} " +
                              $"({(double)flagged.Count(f => f) / rows.Count:P2}); frustrated: {frustration.Count(f => f)}; either: {flagged.Zip(frustration).Count(p => p.First || p.Second)}.");
            foreach (var (row, i) in rows.Select((r, i) => (r, i)).Where(x => flagged[x.i] || frustration[x.i]).Take(40))
            {
                Console.WriteLine($"  {(flagged[i] ? "person" : "")}{(flagged[i] && frustration[i] ? "+" : "")}{(frustration[i] ? "frustrated" : "")}: {row.Sentence}");
            }
            return;
        }
        var hand = Predict(HumanRequestWeights.HandWritten);
        var kfold = CrossValidate(rows, features, Stratified(rows, folds));
        var byBot = CrossValidate(rows, features, rows.Select(r => r.Bot).Distinct().Select(bot => rows.Select(r => r.Bot == bot).ToArray()).ToList());
        var fitted = Fit(rows, features, Enumerable.Repeat(true, rows.Count).ToArray());
        var shipped = Predict(HumanRequestWeights.Default);
        var similarityOnly = features.Select(f => f.RequestSimilarity >= 0.7).ToArray();
        var patternOnly = features.Select(f => f.Strong > 0).ToArray();

        // A ceiling, counted (not read): positives that name no person, channel or contact at all.
        var wordless = rows.Count(r => r.AsksForPerson && !PersonOrContactWord().IsMatch(DetectorText.Normalize(r.Sentence)));
        Console.WriteLine($"CHAT_WITH_* messages without any word for a person, a bot or contact (agent, human, talk, call, support, ...): {wordless} of {rows.Count(r => r.AsksForPerson)}");
        Console.WriteLine();
        Console.WriteLine("Asks for a person (score >= 0.5). Positives CHAT_WITH_*; phone = CALL_CENTER/CONTACT_NUMBER counted as negatives | as positives.");
        Table(rows, [
            ("detector as shipped (Default weights)", shipped),
            ("hand-written weights, nothing fitted", hand),
            ($"weights fitted, {folds}-fold CV", kfold),
            ("weights fitted, leave-one-bot-out CV", byBot),
            ("strong pattern only", patternOnly),
            ("example similarity >= 0.7 only", similarityOnly),
        ], r => r.AsksForPerson, r => r.AsksForPerson || r.AsksForPhone);

        Console.WriteLine();
        Console.WriteLine("Frustration (FrustrationDetector >= 0.5, no earlier messages). Positives CRITICISM; nothing fitted.");
        Table(rows, [("hand-written cues", frustration)], r => r.Complains, null);

        Console.WriteLine();
        Console.WriteLine("Should escalate (asks for a person OR frustration). Positives CHAT_WITH_* + CRITICISM | + phone labels.");
        Table(rows, [
            ("detectors as shipped", Or(shipped, frustration)),
            ($"human weights fitted, {folds}-fold CV", Or(kfold, frustration)),
        ], r => r.AsksForPerson || r.Complains, r => r.AsksForPerson || r.Complains || r.AsksForPhone);

        Console.WriteLine();
        Console.WriteLine("Weights fitted on all messages (for reference; Default stays hand-written unless the fitted CV rows beat it):");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  new(Bias: {fitted.Bias:0.###}, Strong: {fitted.Strong:0.###}, Medium: {fitted.Medium:0.###}, Contact: {fitted.Contact:0.###}, Similarity: {fitted.Similarity:0.###}, Margin: {fitted.Margin:0.###})"));
    }

    private static bool[] Or(bool[] a, bool[] b) => [.. a.Zip(b, (x, y) => x || y)];

    private static void Table(IReadOnlyList<Row> rows, (string Name, bool[] Predicted)[] variants, Func<Row, bool> positive, Func<Row, bool>? alternative)
    {
        var bots = rows.Select(r => r.Bot).Distinct().Order(StringComparer.Ordinal).ToList();
        Console.WriteLine($"  {"variant",-44} {"scope",-12} {"P",6} {"R",6} {"F1",6} {"TP/FP/FN",12}" + (alternative is null ? "" : $" | {"P",6} {"R",6} {"F1",6} {"TP/FP/FN",12}"));
        foreach (var (name, predicted) in variants)
        {
            foreach (var scope in bots.Prepend("all"))
            {
                var indexes = Enumerable.Range(0, rows.Count).Where(i => scope == "all" || rows[i].Bot == scope).ToList();
                var line = $"  {(scope == "all" ? name : ""),-44} {scope,-12} {Format(Counts.Of(indexes.Select(i => (predicted[i], positive(rows[i])))))}";
                if (alternative is not null) line += " | " + Format(Counts.Of(indexes.Select(i => (predicted[i], alternative(rows[i])))));
                Console.WriteLine(line);
            }
        }
    }

    private static string Format(Counts c) => string.Create(CultureInfo.InvariantCulture,
        $"{Number(c.Precision),6} {Number(c.Recall),6} {c.F1,6:0.000} {$"{c.Tp}/{c.Fp}/{c.Fn}",12}");

    private static string Number(double value) => double.IsNaN(value) ? "-" : value.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Held-out predictions: for each fold (a mask of the rows it holds out), weights fitted on the other rows score it.</summary>
    public static bool[] CrossValidate(IReadOnlyList<Row> rows, IReadOnlyList<HumanRequestFeatures> features, IReadOnlyList<bool[]> heldOut)
    {
        var predicted = new bool[rows.Count];
        foreach (var fold in heldOut)
        {
            var weights = Fit(rows, features, [.. fold.Select(h => !h)]);
            for (var i = 0; i < rows.Count; i++)
            {
                if (fold[i]) predicted[i] = weights.Score(features[i]) >= HumanRequestDetector.DefaultThreshold;
            }
        }
        return predicted;
    }

    /// <summary>Folds with the same share of each label, in a fixed pseudo-random order.</summary>
    public static List<bool[]> Stratified(IReadOnlyList<Row> rows, int folds)
    {
        var random = new Random(5);
        var fold = new int[rows.Count];
        foreach (var group in Enumerable.Range(0, rows.Count).GroupBy(i => (rows[i].Bot, rows[i].Label)))
        {
            var shuffled = group.OrderBy(_ => random.Next()).ToList();
            var offset = random.Next(folds);
            for (var j = 0; j < shuffled.Count; j++) fold[shuffled[j]] = (j + offset) % folds;
        }
        return [.. Enumerable.Range(0, folds).Select(k => fold.Select(f => f == k).ToArray())];
    }

    /// <summary>
    /// Logistic regression (L2 0.001 per row, Newton's method) of CHAT_WITH_* against the other labels on the rows
    /// <paramref name="use"/> selects (phone-line labels are left out of fitting: they are neither), then the
    /// bias moved so that score >= 0.5 is the F1-best cut on those same rows.
    /// </summary>
    public static HumanRequestWeights Fit(IReadOnlyList<Row> rows, IReadOnlyList<HumanRequestFeatures> features, bool[] use)
    {
        var train = Enumerable.Range(0, rows.Count).Where(i => use[i] && !rows[i].AsksForPhone).ToList();
        var x = train.Select(i => features[i].Vector()).ToArray();
        var y = train.Select(i => rows[i].AsksForPerson ? 1.0 : 0.0).ToArray();
        // Newton's method on the L2-penalised log-loss (the bias is not penalised): six unknowns, a 6×6 solve per step.
        var d = x[0].Length + 1;
        var theta = new double[d];
        const double l2 = 1e-3;
        for (var iteration = 0; iteration < 50; iteration++)
        {
            var gradient = new double[d];
            var hessian = new double[d, d];
            for (var n = 0; n < x.Length; n++)
            {
                double[] row = [1, .. x[n]];
                var z = row.Select((value, j) => value * theta[j]).Sum();
                var p = 1 / (1 + Math.Exp(-z));
                for (var j = 0; j < d; j++)
                {
                    gradient[j] += (p - y[n]) * row[j];
                    for (var k = 0; k < d; k++) hessian[j, k] += p * (1 - p) * row[j] * row[k];
                }
            }
            for (var j = 1; j < d; j++)
            {
                gradient[j] += l2 * x.Length * theta[j];
                hessian[j, j] += l2 * x.Length;
            }
            var step = Solve(hessian, gradient);
            for (var j = 0; j < d; j++) theta[j] -= step[j];
            if (step.Max(Math.Abs) < 1e-8) break;
        }
        var (b, w) = (theta[0], theta[1..]);

        // The F1-best cut on the training rows, halfway between neighbouring scores.
        var scored = x.Select((v, n) => (Z: b + v.Select((value, j) => value * w[j]).Sum(), Y: y[n] > 0)).OrderByDescending(s => s.Z).ToList();
        var positives = scored.Count(s => s.Y);
        var (bestF1, cut, tp) = (-1.0, 0.0, 0);
        for (var k = 0; k < scored.Count; k++)
        {
            if (scored[k].Y) tp++;
            if (k + 1 < scored.Count && scored[k + 1].Z == scored[k].Z) continue;
            var f1 = 2.0 * tp / (k + 1 + positives);
            if (f1 > bestF1) (bestF1, cut) = (f1, k + 1 < scored.Count ? (scored[k].Z + scored[k + 1].Z) / 2 : scored[k].Z - 1);
        }
        return HumanRequestWeights.FromVector(b - cut, w);
    }

    /// <summary>Solves a·x = b by Gaussian elimination with partial pivoting (a is small and symmetric positive definite).</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var (m, v) = ((double[,])a.Clone(), (double[])b.Clone());
        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(m[r, c]));
            if (pivot != c)
            {
                for (var k = 0; k < n; k++) (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
                (v[c], v[pivot]) = (v[pivot], v[c]);
            }
            for (var r = c + 1; r < n; r++)
            {
                var f = m[r, c] / m[c, c];
                for (var k = c; k < n; k++) m[r, k] -= f * m[c, k];
                v[r] -= f * v[c];
            }
        }
        var x = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            var sum = v[r];
            for (var k = r + 1; k < n; k++) sum -= m[r, k] * x[k];
            x[r] = sum / m[r, r];
        }
        return x;
    }

    public static List<Row> ReadRows(string directory)
    {
        var rows = new List<Row>();
        foreach (var file in Directory.GetFiles(directory, "*_train.csv").Order(StringComparer.Ordinal))
        {
            var bot = Path.GetFileName(file)[..^"_train.csv".Length];
            using var csv = CsvReader.Create(File.ReadAllBytes(file), new CsvReaderOptions { AllowLineBreaksInQuotes = true });
            while (csv.Read())
            {
                var (sentence, label) = (csv.GetString(0).Trim(), csv.FieldCount > 1 ? csv.GetString(1).Trim() : "");
                if (sentence.Length > 0 && label.Length > 0) rows.Add(new Row(bot, sentence, label));
            }
        }
        return rows;
    }

    /// <summary>--data as typed (relative to the shell's folder), else ../shared/data/hint3-train beside the repository.</summary>
    public static string? DataDirectory(string? data)
    {
        if (data is not null)
        {
            var shell = CallerPaths.ShellDirectory;
            return Path.IsPathRooted(data) || Directory.Exists(data) || shell is null ? Path.GetFullPath(data) : Path.GetFullPath(Path.Combine(shell, data));
        }
        foreach (var start in new[] { CallerPaths.ShellDirectory, Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = start is null ? null : new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "Switchboard.slnx")))
                {
                    return Path.GetFullPath(Path.Combine(folder.FullName, "..", "shared", "data", "hint3-train"));
                }
            }
        }
        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@" (?:agents?|human\w*|person\w*|people|someone|somebody|anyone|anybody|executives?|representatives?|rep|operators?|staff|team|support|care|service|manager|supervisor|talk\w*|speak\w*|chat\w*|call\w*|connect\w*|contact\w*|bot|robot|machine|phone|number|insaan|baat) ")]
    private static partial System.Text.RegularExpressions.Regex PersonOrContactWord();
}
