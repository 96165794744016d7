using System.CommandLine;
using Switchboard.Bench;

var sizes = new Option<int[]>("--sizes")
{
    Description = "Passages (chunks) in the one organization, one run each.",
    DefaultValueFactory = _ => [1_000, 10_000, 100_000],
    AllowMultipleArgumentsPerToken = true,
};
var queries = new Option<int>("--queries") { Description = "Timed queries per size.", DefaultValueFactory = _ => 300 };
var json = new Option<FileInfo?>("--json") { Description = "Also write the figures to this JSON file." };
var retrieval = new Command("retrieval", "Exact vector search latency at several knowledge sizes, against the memory bandwidth measured in the same run.")
{
    sizes, queries, json,
};
retrieval.SetAction((r, ct) => RetrievalBenchmark.RunAsync(r.GetValue(sizes)!, r.GetValue(queries), r.GetValue(json), ct));

var articles = new Option<FileInfo>("--articles") { Description = "Articles, JSON lines (the eval format).", Required = true };
var questionsFile = new Option<FileInfo>("--questions") { Description = "Questions, JSON lines (the eval format); those expecting an answer are used.", Required = true };
var weight = new Option<double>("--weight") { Description = "Ai:Retrieval:EffectivenessWeight of the nudged run.", DefaultValueFactory = _ => 0.1 };
var sabotage = new Option<string?>("--sabotage") { Description = "Id of the article that always gets a thumbs down (default: the first article)." };
var nudgeJson = new Option<FileInfo?>("--json") { Description = "Also write the figures to this JSON file." };
var nudge = new Command("nudge", "Effect of the effectiveness nudge: simulated feedback on half of the questions, the other half ranked with the nudge on and off.")
{
    articles, questionsFile, weight, sabotage, nudgeJson,
};
nudge.TreatUnmatchedTokensAsErrors = false; // --Ai:Retrieval:... settings go to the host, as with eval
nudge.SetAction((r, ct) => NudgeBenchmark.RunAsync(r.GetValue(articles)!, r.GetValue(questionsFile)!, r.GetValue(weight), r.GetValue(sabotage),
    r.GetValue(nudgeJson), [.. r.UnmatchedTokens], ct));

var data = new Option<string?>("--data") { Description = "Folder of the HINT3 *_train.csv files (default: ../shared/data/hint3-train beside the repository)." };
var folds = new Option<int>("--folds") { Description = "Folds of the cross-validation of fitted weights.", DefaultValueFactory = _ => 5 };
var detectors = new Command("escalation-detectors", "Precision and recall of the human-request and frustration detectors on the HINT3 customer messages.")
{
    data, folds,
};
detectors.TreatUnmatchedTokensAsErrors = false; // --Ai:... settings go to the host, as with eval
detectors.SetAction((r, ct) => EscalationDetectorsBenchmark.RunAsync(r.GetValue(data), r.GetValue(folds), [.. r.UnmatchedTokens], ct));

var analyticsSessions = new Option<int>("--sessions") { Description = "Sessions to generate over 2026.", DefaultValueFactory = _ => 100_000 };
var analyticsAgents = new Option<int>("--agents") { Description = "Agents of the organization.", DefaultValueFactory = _ => 20 };
var analyticsRebuild = new Command("analytics-rebuild", "Time of `analytics rebuild` over a year of generated sessions, escalations, assignments and ratings (temporary SQLite).")
{
    analyticsSessions, analyticsAgents,
};
analyticsRebuild.SetAction((r, ct) => AnalyticsBenchmark.RebuildAsync(r.GetValue(analyticsSessions), r.GetValue(analyticsAgents), ct));
var cycles = new Option<int>("--cycles") { Description = "Escalate-assign-resolve cycles per round and setting.", DefaultValueFactory = _ => 100 };
var rounds = new Option<int>("--rounds") { Description = "Pairs of rounds, live analytics on and off in alternating order.", DefaultValueFactory = _ => 40 };
var control = new Option<bool>("--control") { Description = "Both servers with live analytics off: the difference two identical servers show (A/A)." };
var analyticsOverhead = new Command("analytics-overhead", "Latency of escalate + assign + resolve with live agent_analytics on and off (temporary SQLite).") { cycles, rounds, control };
analyticsOverhead.SetAction((r, ct) => AnalyticsBenchmark.OverheadAsync(r.GetValue(cycles), r.GetValue(rounds), r.GetValue(control), ct));

var root = new RootCommand("Switchboard benchmarks.") { retrieval, nudge, detectors, analyticsRebuild, analyticsOverhead };
return await root.Parse(args).InvokeAsync();
