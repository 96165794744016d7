using System.Text.Json.Nodes;
using Switchboard.Cli;

namespace Switchboard.Tests.Ai;

public sealed class EvalCommandTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Ai", "Fixtures", name);

    [Fact]
    public async Task EvalRunsTheQuestionsThroughThePipelineAndWritesExactlyTheDesignedKeys()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("switchboard-eval-test-").FullName, "out.json");
        try
        {
            var exit = await SwitchboardCli.RunAsync(["eval", "--articles", Fixture("eval-articles.jsonl"), "--questions", Fixture("eval-questions.jsonl"), "--json", output]);

            Assert.Equal(0, exit);
            var json = JsonNode.Parse(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken))!.AsObject();
            Assert.Equal(
                ["questions", "answer_accuracy", "recall_at_5", "mrr", "no_answer_precision", "no_answer_recall", "escalation_precision",
                 "escalation_recall", "overall_accuracy", "latency_p50_ms", "latency_p95_ms"],
                json.Select(p => p.Key));
            Assert.Equal(6, (int)json["questions"]!);
            Assert.Equal(1.0, (double)json["answer_accuracy"]!);
            Assert.Equal(1.0, (double)json["recall_at_5"]!);
            Assert.Equal(1.0, (double)json["no_answer_recall"]!);
            Assert.Equal(1.0, (double)json["overall_accuracy"]!);
            // No question expects escalation, so its metrics have nothing to measure.
            Assert.Null(json["escalation_precision"]);
            Assert.Null(json["escalation_recall"]);
            Assert.True((long)json["latency_p95_ms"]! >= (long)json["latency_p50_ms"]!);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("{\"question\": \"Hi?\", \"expect\": \"answer\"}", "needs \"expected_article_id\"")]
    [InlineData("{\"question\": \"Hi?\", \"expected_article_id\": \"nope\", \"expect\": \"answer\"}", "\"nope\" is not an article id")]
    [InlineData("{\"question\": \"Hi?\", \"expected_article_id\": null, \"expect\": \"maybe\"}", "\"expect\" is \"maybe\"")]
    [InlineData("{\"question\": \"Hi?\"", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    public void ABadQuestionsFileIsRefusedNamingTheFileAndTheLine(string badLine, string problem)
    {
        var file = new FileInfo(Path.GetTempFileName());
        try
        {
            File.WriteAllText(file.FullName, "{\"question\": \"Fine?\", \"expected_article_id\": \"a\", \"expect\": \"answer\"}\n" + badLine + "\n");
            var error = Assert.Throws<InvalidOperationException>(() => EvalCommand.ReadQuestions(file, new HashSet<string> { "a" }));
            Assert.Contains($"{file.FullName} line 2: ", error.Message, StringComparison.Ordinal);
            Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            file.Delete();
        }
    }

    [Fact]
    public async Task ABadArticlesFileStopsEvalBeforeItBuildsAnything()
    {
        var file = new FileInfo(Path.GetTempFileName());
        try
        {
            await File.WriteAllTextAsync(file.FullName, "{\"id\": \"a\", \"title\": \"A\", \"content\": \"Text.\"}\n{\"id\": \"a\", \"title\": \"B\", \"content\": \"More.\"}\n",
                TestContext.Current.CancellationToken);
            var error = Assert.Throws<InvalidOperationException>(() => EvalCommand.ReadArticles(file));
            Assert.Equal($"{file.FullName} line 2: the id \"a\" is used by an earlier article.", error.Message);
            Assert.Equal(1, await SwitchboardCli.RunAsync(["eval", "--articles", file.FullName, "--questions", Fixture("eval-questions.jsonl")]));
        }
        finally
        {
            file.Delete();
        }
    }

    [Fact]
    public void RelativePathsAreReadAndWrittenWhereTheShellIsNotWhereDotnetRunStartedTheProgram()
    {
        var shell = Directory.CreateTempSubdirectory("switchboard-shell-").FullName;
        try
        {
            var name = "questions-" + Guid.NewGuid().ToString("N") + ".jsonl";
            File.WriteAllText(Path.Combine(shell, name), "{}\n");

            Assert.Equal(Path.Combine(shell, name), CallerPaths.Input(name, shell).FullName);
            Assert.Equal(Path.Combine(shell, "out.json"), CallerPaths.Output("out.json", shell).FullName);
            // Absolute paths stay; without a shell folder a path is the process's own business.
            Assert.Equal(Path.Combine(shell, name), CallerPaths.Input(Path.Combine(shell, name), "/elsewhere").FullName);
            Assert.Equal(Path.GetFullPath(name), CallerPaths.Input(name, null).FullName);
            // A file that exists nowhere is reported as given, relative to the process.
            Assert.Equal(Path.GetFullPath("missing.jsonl"), CallerPaths.Input("missing.jsonl", shell).FullName);
        }
        finally
        {
            Directory.Delete(shell, recursive: true);
        }
    }
}
