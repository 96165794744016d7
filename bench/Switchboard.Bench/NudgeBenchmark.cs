using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Switchboard.Cli;
using Switchboard.Data;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;

namespace Switchboard.Bench;

/// <summary>
/// What the effectiveness nudge does to answers (docs/eval.md "The effectiveness nudge"): the even-numbered
/// questions are answered through the real conversation path and "clicked" by a simulated customer through
/// <see cref="ArticleOutcomes"/> (helpful when the cited article is the expected one, not helpful otherwise;
/// the sabotaged article always gets a thumbs down); the odd-numbered questions are then ranked by the
/// same retriever with the nudge on and off. In a throwaway SQLite database, like <c>eval</c>.
/// </summary>
public static class NudgeBenchmark
{
    public sealed record Scores(int Questions, double AnswerAccuracy, double RecallAt5, double Mrr);

    public sealed record Result(Scores All, Scores Sabotaged);

    public static async Task<int> RunAsync(FileInfo articlesFile, FileInfo questionsFile, double weight, string? sabotage, FileInfo? json,
        string[] configuration, CancellationToken ct)
    {
        var articles = EvalCommand.ReadArticles(articlesFile);
        var questions = EvalCommand.ReadQuestions(questionsFile, articles.Select(a => a.Id).ToHashSet(StringComparer.Ordinal))
            .Where(q => q.Expect == "answer").ToList();
        sabotage ??= articles[0].Id;
        if (articles.All(a => a.Id != sabotage))
        {
            Console.Error.WriteLine($"error: --sabotage \"{sabotage}\" is not an article id of {articlesFile.Name}.");
            return 1;
        }
        var train = questions.Where((_, i) => i % 2 == 0).ToList();
        var test = questions.Where((_, i) => i % 2 == 1).ToList();

        var directory = Directory.CreateTempSubdirectory("switchboard-nudge-");
        try
        {
            await using var host = EvalCommand.BuildHost(directory.FullName, configuration);
            var services = host.Services;
            await services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
            var systemDb = services.GetRequiredService<SystemDb>();
            var org = new Organization { Name = "Nudge", Slug = "nudge-" + Guid.NewGuid().ToString("N")[..8] };
            var ids = articles.ToDictionary(a => a.Id, _ => Guid.CreateVersion7(), StringComparer.Ordinal);
            await using (var db = systemDb.CreateContext())
            {
                db.Organizations.Add(org);
                db.Knowledge.AddRange(articles.Select(a => new KnowledgeArticle
                {
                    Id = ids[a.Id], OrganizationId = org.Id, Title = a.Title, Content = a.Content, Category = a.Category, Tags = a.Tags,
                }));
                await db.SaveChangesAsync(ct);
            }
            Console.WriteLine($"Embedding {articles.Count} articles...");
            await services.GetRequiredService<KnowledgeIndexer>().IndexAsync([.. ids.Values], null, ct);
            // Ranked as a live knowledge base is, article classifier included (it trains in the background).
            var matrix = await services.GetRequiredService<VectorIndex>().GetAsync(org.Id, ct);
            await matrix.ClassifierReady.WaitAsync(ct);

            var baseOptions = services.GetRequiredService<IOptionsMonitor<RetrievalOptions>>().CurrentValue;
            HybridRetriever Retriever(double w) => new(services.GetRequiredService<VectorIndex>(), services.GetRequiredService<FullTextSearch>(),
                services.GetRequiredService<ArticleScoreCache>(), systemDb, new Fixed(Copy(baseOptions, w)));
            var embeddings = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            var (on, off) = (Retriever(weight), Retriever(0));

            var before = await ScoreAsync(test, ids, embeddings, off, org.Id, sabotage, "held-out half before any outcome", ct);

            // The customers' half: the real path, then the click a customer would make.
            var conversations = services.GetRequiredService<ConversationService>();
            var outcomes = services.GetRequiredService<ArticleOutcomes>();
            var (helpful, unhelpful, silent) = (0, 0, 0);
            for (var i = 0; i < train.Count; i++)
            {
                var question = train[i];
                var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken() };
                await using (var db = systemDb.CreateContext())
                {
                    db.Sessions.Add(session);
                    await db.SaveChangesAsync(ct);
                    var seq = (await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, question.Question, null, null, ct)).Seq;
                    var answer = await conversations.ReplyAsync(session.Id, seq, ct);
                    var top = answer?.AiMetadata is { } m && m.TryGetProperty("sources", out var s) && s.GetArrayLength() > 0
                        ? s[0].GetProperty("articleId").GetGuid() : (Guid?)null;
                    if (answer is null || top is null)
                    {
                        silent++;
                    }
                    else
                    {
                        var good = top == ids[question.ExpectedArticleId!] && question.ExpectedArticleId != sabotage;
                        await outcomes.FeedbackAsync(session.Id, answer.Id, good, ct);
                        if (good) helpful++; else unhelpful++;
                    }
                }
                if ((i + 1) % 200 == 0 || i + 1 == train.Count) Console.WriteLine($"  customers' half: {i + 1}/{train.Count} answered and rated");
            }
            Console.WriteLine($"Feedback recorded: {helpful} helpful, {unhelpful} not helpful, {silent} not answered (no click)");

            var nudged = await ScoreAsync(test, ids, embeddings, on, org.Id, sabotage, $"held-out half, nudge on (weight {weight.ToString(CultureInfo.InvariantCulture)})", ct);
            var plain = await ScoreAsync(test, ids, embeddings, off, org.Id, sabotage, "held-out half, nudge off (weight 0)", ct);

            await using var read = systemDb.CreateContext();
            var stored = await read.Knowledge.AsNoTracking().Where(a => a.OrganizationId == org.Id)
                .Select(a => new { a.Id, a.EffectivenessScore }).ToListAsync(ct);
            var values = stored.Select(a => (double)(a.EffectivenessScore ?? 0)).Order().ToList();
            var sabotaged = (double)(stored.Single(a => a.Id == ids[sabotage]).EffectivenessScore ?? 0);
            Console.WriteLine($"effectiveness_score after the customers' half: min {values[0]:0.0000}, median {values[values.Count / 2]:0.0000}, " +
                              $"max {values[^1]:0.0000}; the sabotaged article \"{sabotage}\": {sabotaged:0.0000}");
            if (json is not null)
            {
                var report = new
                {
                    weight, sabotage, train = train.Count, test = test.Count, helpful, unhelpful, silent,
                    before, nudged, plain, effectiveness = new { min = values[0], median = values[values.Count / 2], max = values[^1], sabotaged },
                };
                await File.WriteAllTextAsync(json.FullName, JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n", ct);
            }
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Answer accuracy (answerable and the expected article first), recall@5 and MRR, overall and on the sabotaged article's questions.</summary>
    private static async Task<Result> ScoreAsync(List<EvalQuestion> questions, Dictionary<string, Guid> ids,
        IEmbeddingGenerator<string, Embedding<float>> embeddings, HybridRetriever retriever, Guid orgId, string sabotage, string label, CancellationToken ct)
    {
        var rows = new List<(bool Sabotaged, bool Correct, int Rank)>();
        foreach (var question in questions)
        {
            var vector = await embeddings.GenerateVectorAsync(question.Question, cancellationToken: ct);
            var retrieval = await retriever.RetrieveAsync(orgId, vector, question.Question, ConversationPipeline.TopArticles, null, ct);
            var expected = ids[question.ExpectedArticleId!];
            var rank = retrieval.Articles.Select(a => a.ArticleId).ToList().IndexOf(expected) + 1;
            rows.Add((question.ExpectedArticleId == sabotage, retrieval.Answerable && rank == 1, rank));
        }
        static Scores Of(List<(bool Sabotaged, bool Correct, int Rank)> r) => r.Count == 0 ? new Scores(0, 0, 0, 0) : new Scores(r.Count,
            r.Count(x => x.Correct) / (double)r.Count, r.Count(x => x.Rank > 0) / (double)r.Count, r.Average(x => x.Rank > 0 ? 1.0 / x.Rank : 0));
        var all = Of(rows);
        var sabotaged = Of([.. rows.Where(r => r.Sabotaged)]);
        Console.WriteLine($"{label}: answer accuracy {all.AnswerAccuracy:0.0000}, recall@5 {all.RecallAt5:0.0000}, MRR {all.Mrr:0.0000} ({all.Questions} questions); " +
                          $"sabotaged article's {sabotaged.Questions}: accuracy {sabotaged.AnswerAccuracy:0.0000}, MRR {sabotaged.Mrr:0.0000}");
        return new Result(all, sabotaged);
    }

    private static RetrievalOptions Copy(RetrievalOptions o, double weight) => new()
    {
        FullText = o.FullText, Fusion = o.Fusion, FullTextWeight = o.FullTextWeight, RrfK = o.RrfK, FullTextCandidates = o.FullTextCandidates,
        EffectivenessWeight = weight, Category = o.Category, Tags = o.Tags,
    };

    private sealed class Fixed(RetrievalOptions value) : IOptionsMonitor<RetrievalOptions>
    {
        public RetrievalOptions CurrentValue => value;
        public RetrievalOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<RetrievalOptions, string?> listener) => null;
    }
}
