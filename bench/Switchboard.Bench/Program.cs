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

var root = new RootCommand("Switchboard benchmarks.") { retrieval };
return await root.Parse(args).InvokeAsync();
