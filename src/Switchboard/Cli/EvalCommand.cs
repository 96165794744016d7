using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using Switchboard.Data;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;

namespace Switchboard.Cli;

public sealed record EvalArticle(string Id, string Title, string Content, string Category, List<string> Tags);

public sealed record EvalQuestion(string Question, string? ExpectedArticleId, string Expect, int Line);

/// <summary>How one question went, as read back from the stored AI message and the session.</summary>
public sealed record EvalOutcome(EvalQuestion Question, bool Answered, string? TopSourceId, List<string> Retrieved, bool Escalated, long LatencyMs)
{
    public bool Correct => Question.Expect switch
    {
        "answer" => Answered && TopSourceId == Question.ExpectedArticleId,
        "no_answer" => !Answered,
        _ => Escalated,
    };
}

/// <summary>
/// <c>eval</c>: builds a throwaway organization from the articles in a temporary SQLite database and
/// runs every question through the real conversation path (session, customer message,
/// <see cref="ConversationService.ReplyAsync"/>), then scores what was stored.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var articles = new Option<string>("--articles") { Description = "Articles, JSON lines: {\"id\",\"title\",\"content\",\"category\",\"tags\":[]}.", Required = true };
        var questions = new Option<string>("--questions") { Description = "Questions, JSON lines: {\"question\",\"expected_article_id\",\"expect\": answer|no_answer|escalate}.", Required = true };
        var json = new Option<string?>("--json") { Description = "Also write the figures to this JSON file." };
        var command = new Command("eval", "Score the conversation pipeline on a knowledge base and its questions (in a throwaway database).") { articles, questions, json };
        command.SetAction(async (r, ct) =>
        {
            var shell = CallerPaths.ShellDirectory;
            var articleList = ReadArticles(CallerPaths.Input(r.GetValue(articles)!, shell));
            var questionList = ReadQuestions(CallerPaths.Input(r.GetValue(questions)!, shell), articleList.Select(a => a.Id).ToHashSet(StringComparer.Ordinal));
            var report = await RunAsync(articleList, questionList, [.. r.UnmatchedTokens], ct);
            Print(report);
            if (r.GetValue(json) is { } jsonPath)
            {
                var path = CallerPaths.Output(jsonPath, shell);
                await File.WriteAllTextAsync(path.FullName, report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", ct);
            }
            Console.WriteLine(report.SummaryLine());
            return 0;
        });
        return command;
    }

    public static List<EvalArticle> ReadArticles(FileInfo file)
    {
        var articles = new List<EvalArticle>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, number) in Lines(file))
        {
            var o = ParseObject(file, number, line);
            var id = RequiredString(file, number, o, "id");
            if (!ids.Add(id)) throw Bad(file, number, $"the id \"{id}\" is used by an earlier article");
            var tags = o["tags"] switch
            {
                null => [],
                JsonArray a when a.All(t => t?.GetValueKind() == JsonValueKind.String) => a.Select(t => t!.GetValue<string>()).ToList(),
                _ => throw Bad(file, number, "\"tags\" must be an array of strings"),
            };
            articles.Add(new EvalArticle(id, RequiredString(file, number, o, "title"), RequiredString(file, number, o, "content"),
                OptionalString(file, number, o, "category") ?? "general", tags));
        }
        if (articles.Count == 0) throw Bad(file, 0, "there are no articles");
        return articles;
    }

    public static List<EvalQuestion> ReadQuestions(FileInfo file, IReadOnlySet<string> articleIds)
    {
        var questions = new List<EvalQuestion>();
        foreach (var (line, number) in Lines(file))
        {
            var o = ParseObject(file, number, line);
            var text = RequiredString(file, number, o, "question");
            var expect = OptionalString(file, number, o, "expect") ?? throw Bad(file, number, "\"expect\" is missing: answer, no_answer or escalate");
            if (expect is not ("answer" or "no_answer" or "escalate")) throw Bad(file, number, $"\"expect\" is \"{expect}\"; it must be answer, no_answer or escalate");
            var expected = OptionalString(file, number, o, "expected_article_id");
            if (expect == "answer" && expected is null) throw Bad(file, number, "a question that expects an answer needs \"expected_article_id\"");
            if (expected is not null && !articleIds.Contains(expected)) throw Bad(file, number, $"\"expected_article_id\" \"{expected}\" is not an article id of the articles file");
            questions.Add(new EvalQuestion(text, expected, expect, number));
        }
        if (questions.Count == 0) throw Bad(file, 0, "there are no questions");
        return questions;
    }

    public static async Task<EvalReport> RunAsync(List<EvalArticle> articles, List<EvalQuestion> questions, string[] configuration, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("switchboard-eval-");
        try
        {
            await using var host = BuildHost(directory.FullName, configuration);
            var services = host.Services;
            await services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
            var systemDb = services.GetRequiredService<SystemDb>();

            var org = new Organization { Name = "Eval", Slug = "eval-" + Guid.NewGuid().ToString("N")[..8] };
            var ids = articles.ToDictionary(a => a.Id, _ => Guid.CreateVersion7(), StringComparer.Ordinal);
            var names = ids.ToDictionary(p => p.Value, p => p.Key);
            await using (var db = systemDb.CreateContext())
            {
                db.Organizations.Add(org);
                db.EscalationRules.AddRange(DefaultEscalationRules.For(org.Id));
                db.Knowledge.AddRange(articles.Select(a => new KnowledgeArticle
                {
                    Id = ids[a.Id], OrganizationId = org.Id, Title = a.Title, Content = a.Content, Category = a.Category, Tags = a.Tags,
                }));
                await db.SaveChangesAsync(ct);
            }

            var indexer = services.GetRequiredService<KnowledgeIndexer>();
            var index = services.GetRequiredService<VectorIndex>();
            KnowledgeMatrix matrix = null!;
            await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
            {
                var embedding = progress.AddTask($"Embedding {articles.Count} articles", maxValue: 1);
                await indexer.IndexAsync([.. ids.Values], new Progress<(int Done, int Total)>(p =>
                {
                    embedding.MaxValue = Math.Max(1, p.Total);
                    embedding.Value = p.Done;
                }), ct);
                embedding.Value = embedding.MaxValue;
                // Loading and calibrating the matrix belongs to the knowledge base, not to the first question.
                matrix = await index.GetAsync(org.Id, ct);
                // Questions are asked of the finished knowledge base, classifier included, as a live one would be.
                var learning = progress.AddTask("Training the article classifier", maxValue: 1).IsIndeterminate();
                await matrix.ClassifierReady.WaitAsync(ct);
                learning.IsIndeterminate(false).Value = 1;
            });

            var conversations = services.GetRequiredService<ConversationService>();
            var outcomes = new List<EvalOutcome>();
            var replyMs = new List<double>();
            await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
            {
                var asking = progress.AddTask($"Asking {questions.Count} questions", maxValue: questions.Count);
                foreach (var question in questions)
                {
                    var (outcome, elapsed) = await AskAsync(systemDb, conversations, org.Id, question, names, ct);
                    outcomes.Add(outcome);
                    replyMs.Add(elapsed);
                    asking.Increment(1);
                }
            });
            return EvalReport.From(outcomes, replyMs, matrix);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<(EvalOutcome, double)> AskAsync(SystemDb systemDb, ConversationService conversations, Guid orgId, EvalQuestion question,
        Dictionary<Guid, string> names, CancellationToken ct)
    {
        var session = new ChatbotSession { OrganizationId = orgId, SessionToken = ChatbotSession.NewToken() };
        long seq;
        await using (var db = systemDb.CreateContext())
        {
            db.Sessions.Add(session);
            await db.SaveChangesAsync(ct);
            seq = (await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, question.Question, null, null, ct)).Seq;
        }
        var clock = Stopwatch.StartNew();
        await conversations.ReplyAsync(session.Id, seq, ct);
        var elapsed = clock.Elapsed.TotalMilliseconds;

        await using var read = systemDb.CreateContext();
        var status = await read.Sessions.AsNoTracking().Where(s => s.Id == session.Id).Select(s => s.Status).SingleAsync(ct);
        var stored = await read.Messages.AsNoTracking()
            .Where(m => m.SessionId == session.Id && m.MessageType == MessageTypes.Ai && m.Seq > seq)
            .OrderBy(m => m.Seq).Select(m => m.AiMetadata).FirstOrDefaultAsync(ct);
        var metadata = AiMetadata.Parse(stored);
        var escalated = status == SessionStatus.Escalated;
        var answered = !escalated && metadata?.Decision == AiDecisions.Answer && metadata.Sources.Count > 0;
        string? Name(Guid id) => names.GetValueOrDefault(id);
        return (new EvalOutcome(question, answered, answered ? Name(metadata!.Sources[0].ArticleId) : null,
            metadata?.Retrieved.Select(r => Name(r.ArticleId) ?? "").ToList() ?? [], escalated, metadata?.LatencyMs ?? 0), elapsed);
    }

    // The eval's database is its own: whatever the configuration names, it never touches it.
    public static WebApplication BuildHost(string directory, string[] configuration)
    {
        var builder = WebApplication.CreateBuilder(configuration);
        var database = $"Data Source={Path.Combine(directory, "eval.db")}";
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["Database:SeedDemoData"] = "false",
            ["ConnectionStrings:Switchboard"] = database,
            ["ConnectionStrings:SwitchboardAdmin"] = database,
            ["DataProtection:KeysPath"] = Path.Combine(directory, "keys"),
        });
        // The figures are the output: only warnings and errors besides them (appsettings.json may say Information).
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Switchboard", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
        builder.AddSwitchboardServices();
        return builder.Build();
    }

    private static void Print(EvalReport r)
    {
        static string F(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";
        Console.WriteLine();
        Console.WriteLine($"Knowledge: {r.Passages} passages; answer threshold {r.Threshold.ToString("0.000", CultureInfo.InvariantCulture)} " +
                          $"(leave-one-article-out calibration on {r.CalibrationSamples} passages)");
        Console.WriteLine($"Questions: {r.Questions} ({r.AnswerQuestions} answer, {r.NoAnswerQuestions} no_answer, {r.EscalateQuestions} escalate)");
        Console.WriteLine($"  answer accuracy      {F(r.AnswerAccuracy)}   (answered, and the top source is the expected article)");
        Console.WriteLine($"  recall@5             {F(r.RecallAt5)}   (expected article among the 5 retrieved)");
        Console.WriteLine($"  MRR                  {F(r.Mrr)}   (over the 5 retrieved)");
        Console.WriteLine($"  no-answer precision  {F(r.NoAnswerPrecision)}");
        Console.WriteLine($"  no-answer recall     {F(r.NoAnswerRecall)}");
        Console.WriteLine($"  escalation precision {F(r.EscalationPrecision)}");
        Console.WriteLine($"  escalation recall    {F(r.EscalationRecall)}");
        Console.WriteLine($"  overall accuracy     {F(r.OverallAccuracy)}");
        Console.WriteLine($"  pipeline latency     p50 {r.LatencyP50Ms} ms, p95 {r.LatencyP95Ms} ms (embed, retrieve, decide, answer)");
        Console.WriteLine($"  reply latency        p50 {r.ReplyP50Ms:0} ms, p95 {r.ReplyP95Ms:0} ms (the whole ReplyAsync, with the database)");
    }

    private static IEnumerable<(string Line, int Number)> Lines(FileInfo file)
    {
        if (!file.Exists) throw new InvalidOperationException($"{file.FullName}: no such file.");
        var number = 0;
        foreach (var line in File.ReadLines(file.FullName))
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (line, number);
        }
    }

    private static JsonObject ParseObject(FileInfo file, int number, string line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject ?? throw Bad(file, number, "expected a JSON object");
        }
        catch (JsonException e)
        {
            throw Bad(file, number, $"not valid JSON ({e.Message})");
        }
    }

    private static string RequiredString(FileInfo file, int number, JsonObject o, string key) =>
        OptionalString(file, number, o, key) is { Length: > 0 } s && !string.IsNullOrWhiteSpace(s) ? s : throw Bad(file, number, $"\"{key}\" is missing or empty");

    private static string? OptionalString(FileInfo file, int number, JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw Bad(file, number, $"\"{key}\" must be a string"),
    };

    private static InvalidOperationException Bad(FileInfo file, int line, string problem) =>
        new(line > 0 ? $"{file.FullName} line {line}: {problem}." : $"{file.FullName}: {problem}.");
}

/// <summary>The figures eval reports (docs/eval.md); a metric with no questions of its kind is null.</summary>
public sealed record EvalReport(
    int Questions, int AnswerQuestions, int NoAnswerQuestions, int EscalateQuestions,
    double? AnswerAccuracy, double? RecallAt5, double? Mrr,
    double? NoAnswerPrecision, double? NoAnswerRecall, double? EscalationPrecision, double? EscalationRecall,
    double OverallAccuracy, long LatencyP50Ms, long LatencyP95Ms, double ReplyP50Ms, double ReplyP95Ms,
    int Passages, double Threshold, int CalibrationSamples)
{
    public static EvalReport From(List<EvalOutcome> outcomes, List<double> replyMs, KnowledgeMatrix matrix)
    {
        var answer = outcomes.Where(o => o.Question.Expect == "answer").ToList();
        var noAnswer = outcomes.Where(o => o.Question.Expect == "no_answer").ToList();
        var escalate = outcomes.Where(o => o.Question.Expect == "escalate").ToList();
        // Predicted "no answer": the bot did not answer with an article, among the questions that expected answer or no_answer.
        var declined = outcomes.Where(o => o.Question.Expect != "escalate" && !o.Answered).ToList();
        var escalated = outcomes.Where(o => o.Escalated).ToList();

        double? Share<T>(List<T> of, Func<T, bool> pass) => of.Count == 0 ? null : of.Count(pass) / (double)of.Count;
        int Rank(EvalOutcome o) => o.Retrieved.Take(5).ToList().IndexOf(o.Question.ExpectedArticleId!) + 1;

        var latencies = outcomes.Select(o => o.LatencyMs).Order().ToList();
        var replies = replyMs.Order().ToList();
        return new EvalReport(
            outcomes.Count, answer.Count, noAnswer.Count, escalate.Count,
            Share(answer, o => o.Correct),
            Share(answer, o => Rank(o) > 0),
            answer.Count == 0 ? null : answer.Average(o => Rank(o) is var r && r > 0 ? 1.0 / r : 0),
            noAnswer.Count == 0 ? null : declined.Count == 0 ? 0 : declined.Count(o => o.Question.Expect == "no_answer") / (double)declined.Count,
            Share(noAnswer, o => !o.Answered),
            escalate.Count == 0 ? null : escalated.Count == 0 ? 0 : escalated.Count(o => o.Question.Expect == "escalate") / (double)escalated.Count,
            Share(escalate, o => o.Escalated),
            outcomes.Count(o => o.Correct) / (double)outcomes.Count,
            Percentile(latencies, 0.50), Percentile(latencies, 0.95),
            Percentile(replies, 0.50), Percentile(replies, 0.95),
            matrix.Count, matrix.Calibration.Threshold, matrix.Calibration.Samples);
    }

    public JsonObject ToJson() => new()
    {
        ["questions"] = Questions,
        ["answer_accuracy"] = Round(AnswerAccuracy),
        ["recall_at_5"] = Round(RecallAt5),
        ["mrr"] = Round(Mrr),
        ["no_answer_precision"] = Round(NoAnswerPrecision),
        ["no_answer_recall"] = Round(NoAnswerRecall),
        ["escalation_precision"] = Round(EscalationPrecision),
        ["escalation_recall"] = Round(EscalationRecall),
        ["overall_accuracy"] = Round(OverallAccuracy),
        ["latency_p50_ms"] = LatencyP50Ms,
        ["latency_p95_ms"] = LatencyP95Ms,
    };

    public string SummaryLine()
    {
        static string F(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
        return $"eval: {Questions} questions, answer accuracy {F(AnswerAccuracy)}, recall@5 {F(RecallAt5)}, MRR {F(Mrr)}, " +
               $"no-answer P/R {F(NoAnswerPrecision)}/{F(NoAnswerRecall)}, escalation P/R {F(EscalationPrecision)}/{F(EscalationRecall)}, " +
               $"overall {F(OverallAccuracy)}, latency p50 {LatencyP50Ms} ms p95 {LatencyP95Ms} ms";
    }

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 4) : null;

    // Nearest rank: the smallest value with at least q of the values at or below it.
    private static T Percentile<T>(List<T> sorted, double q) where T : struct =>
        sorted.Count == 0 ? default : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
