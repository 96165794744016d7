using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Switchboard.Data;
using Switchboard.Features.Analytics;

namespace Switchboard.Cli;

/// <summary>
/// <c>analytics rebuild --from yyyy-MM-dd --to yyyy-MM-dd [--org slug]</c>: recomputes every agent_analytics row of the range
/// from the facts (docs/analytics.md), deleting rows the facts no longer support, with a progress bar (plain lines when
/// the output is redirected).
/// </summary>
public static class AnalyticsCommand
{
    public const int MaxRangeDays = 3660;

    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "First local day to rebuild (yyyy-MM-dd), in each organization's time zone.", Required = true };
        var to = new Option<string>("--to") { Description = "Last local day to rebuild (yyyy-MM-dd), inclusive.", Required = true };
        var org = new Option<string?>("--org") { Description = "Slug of one organization (default: all)." };
        var rebuild = new Command("rebuild", "Recompute agent_analytics for a date range from escalations, assignments and CSAT ratings.") { from, to, org };
        rebuild.SetAction(async (r, ct) =>
        {
            var first = ParseDay("--from", r.GetValue(from)!);
            var last = ParseDay("--to", r.GetValue(to)!);
            if (first > last) throw new InvalidOperationException("--from must not be after --to.");
            if (last.DayNumber - first.DayNumber + 1 > MaxRangeDays) throw new InvalidOperationException($"The range is longer than {MaxRangeDays} days; rebuild it in parts.");
            return await RunAsync(first, last, r.GetValue(org), [.. r.UnmatchedTokens], ct);
        });
        return new Command("analytics", "Agent analytics: rebuild.") { rebuild };
    }

    private static DateOnly ParseDay(string option, string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new InvalidOperationException($"{option} must be a date like 2026-01-31, not '{text}'.");

    private static async Task<int> RunAsync(DateOnly from, DateOnly to, string? slug, string[] configuration, CancellationToken ct)
    {
        await using var host = await SwitchboardCli.BuildMigratedHostAsync(configuration, ct, quiet: true);
        var updater = host.Services.GetRequiredService<AgentAnalyticsUpdater>();
        var clock = Stopwatch.StartNew();
        RebuildResult result;
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            var lastPercent = -1;
            result = await updater.RebuildAsync(from, to, slug, new SyncProgress(p =>
            {
                var percent = p.Total == 0 ? 100 : p.Done * 100 / p.Total;
                if (percent / 10 != lastPercent / 10) Console.WriteLine($"rebuilding: {p.Done}/{p.Total} organization-days ({percent}%)");
                lastPercent = percent;
            }), ct);
        }
        else
        {
            RebuildResult? done = null;
            await AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("Rebuilding agent analytics", maxValue: 1);
                    done = await updater.RebuildAsync(from, to, slug, new SyncProgress(p =>
                    {
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    }), ct);
                    task.Value = task.MaxValue;
                });
            result = done!;
        }
        Console.WriteLine($"analytics rebuild {from:yyyy-MM-dd}..{to:yyyy-MM-dd}: {result.Organizations} organizations, {result.Inserted} rows inserted, " +
                          $"{result.Updated} updated, {result.Deleted} deleted, {result.Unchanged} unchanged in {clock.Elapsed.TotalSeconds:0.0} s.");
        return 0;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
