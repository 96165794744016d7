using System.Diagnostics;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Switchboard.Cli;
using Switchboard.Data;
using Switchboard.Features.Accounts;
using Switchboard.Features.Analytics;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Organizations;

namespace Switchboard.Bench;

/// <summary>
/// agent_analytics: how long a rebuild of N generated sessions takes (analytics-rebuild), and what live updates add to the
/// escalate → assign → resolve path, where they run (analytics-overhead). Temporary SQLite databases; see docs/bench.md.
/// </summary>
public static class AnalyticsBenchmark
{
    private static readonly DateOnly Year = new(2026, 1, 1);

    public static async Task<int> RebuildAsync(int sessions, int agents, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("switchboard-analytics-");
        try
        {
            await using var host = EvalCommand.BuildHost(directory.FullName, []);
            var services = host.Services;
            await services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
            var (org, agentIds) = await OrganizationAsync(services, "Europe/Berlin", agents, ct);
            var generate = Stopwatch.StartNew();
            var facts = await GenerateAsync(services.GetRequiredService<SystemDb>(), org, agentIds, sessions, ct);
            Console.WriteLine($"generated {sessions} sessions ({facts.Escalations} escalations, {facts.Assignments} assignment turns, {facts.Ratings} ratings) " +
                              $"in {generate.Elapsed.TotalSeconds:0.0} s");
            var updater = services.GetRequiredService<AgentAnalyticsUpdater>();
            var clock = Stopwatch.StartNew();
            var first = await updater.RebuildAsync(Year, Year.AddDays(364), null, null, ct);
            var firstSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var second = await updater.RebuildAsync(Year, Year.AddDays(364), null, null, ct);
            Console.WriteLine($"rebuild of 365 days, empty table: {firstSeconds:0.00} s ({first.Inserted} rows inserted)");
            Console.WriteLine($"rebuild of 365 days, rows present: {clock.Elapsed.TotalSeconds:0.00} s ({second.Unchanged} unchanged, {second.Inserted + second.Updated + second.Deleted} changed)");
            return first.Inserted == second.Unchanged && second.Inserted + second.Updated + second.Deleted == 0 ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// One server and one database; rounds alternate live analytics on and off (the options are switched in place), so that
    /// both settings see the same process, caches and database size. <paramref name="control"/>: both settings off (A/A).
    /// </summary>
    public static async Task<int> OverheadAsync(int iterations, int rounds, bool control, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("switchboard-analytics-overhead-");
        try
        {
            await using var host = EvalCommand.BuildHost(directory.FullName, ["--Analytics:Live=true"]);
            var services = host.Services;
            await services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
            var (org, agents) = await OrganizationAsync(services, "America/New_York", 1, ct);
            var desk = (services, org, agents[0]);
            var updater = services.GetRequiredService<AgentAnalyticsUpdater>();
            var cache = services.GetRequiredService<IOptionsMonitorCache<AnalyticsOptions>>();
            void Live(bool on)
            {
                cache.TryRemove(Options.DefaultName);
                cache.TryAdd(Options.DefaultName, new AnalyticsOptions { Live = on && !control });
            }

            // The host is not started (no web server): run the live service's loop as the hosted service would.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var liveLoop = updater.ProcessQueueAsync(stop.Token);
            Live(true);
            await CycleAsync(desk, 20, ct); // warm-up
            await updater.IdleAsync(TimeSpan.FromMinutes(2), ct);
            // Per pair of rounds (on, off): the ratio of their medians and of their means; the pairs' medians are reported.
            var cycleRatios = new List<(double Median, double Mean)>();
            var messageRatios = new List<(double Median, double Mean)>();
            var all = new List<double>[] { [], [], [], [] };
            var timedOn = TimeSpan.Zero;
            for (var pair = 0; pair < rounds; pair++)
            {
                var round = new List<double>[] { [], [], [], [] };
                // Alternate which setting goes first, so that a busy moment of the machine and the database's growth fall on both.
                foreach (var on in pair % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    Live(on);
                    var clock = Stopwatch.StartNew();
                    var which = on ? 0 : 1;
                    round[which].AddRange(await CycleAsync(desk, iterations, ct, round[which + 2]));
                    if (on) timedOn += clock.Elapsed;
                    // The live updates still gathering finish before the next round (as they would a second later).
                    await updater.IdleAsync(TimeSpan.FromMinutes(2), ct, flush: false);
                }
                cycleRatios.Add((Median(round[0]) / Median(round[1]), round[0].Average() / round[1].Average()));
                messageRatios.Add((Median(round[2]) / Median(round[3]), round[2].Average() / round[3].Average()));
                for (var i = 0; i < 4; i++) all[i].AddRange(round[i]);
            }
            static double Median(IEnumerable<double> xs)
            {
                var sorted = xs.Order().ToList();
                return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
            }
            static string Added(double ratio) => $"{(ratio - 1) * 100:+0.0;-0.0} %";
            static string Range(IEnumerable<double> ratios) => $"[{Added(ratios.Min())} … {Added(ratios.Max())}]";
            var label = control ? "control (both settings off, A/A): " : "";
            Console.WriteLine($"{label}escalate + assign + resolve, {rounds} round pairs × {iterations} cycles: median live on {Median(all[0]):0.00} ms, off {Median(all[1]):0.00} ms ({Added(Median(all[0]) / Median(all[1]))}); " +
                              $"added per pair: median {Added(Median(cycleRatios.Select(r => r.Median)))} {Range(cycleRatios.Select(r => r.Median))}, " +
                              $"mean {Added(Median(cycleRatios.Select(r => r.Mean)))} {Range(cycleRatios.Select(r => r.Mean))}");
            Console.WriteLine($"{label}customer message path (store, publish, escalation rules), {rounds} round pairs × {iterations} messages: median live on {Median(all[2]):0.00} ms, " +
                              $"off {Median(all[3]):0.00} ms ({Added(Median(all[2]) / Median(all[3]))}); added per pair: median {Added(Median(messageRatios.Select(r => r.Median)))} {Range(messageRatios.Select(r => r.Median))}, " +
                              $"mean {Added(Median(messageRatios.Select(r => r.Mean)))} {Range(messageRatios.Select(r => r.Mean))}");
            await using var db = services.GetRequiredService<SystemDb>().CreateContext();
            Console.WriteLine($"live recomputations: {updater.Recomputations} (agent-day groups), {updater.LiveWork.TotalMilliseconds:0} ms of background work " +
                              $"= {updater.LiveWork / timedOn * 100:0.0} % of the {timedOn.TotalSeconds:0.0} s timed with live on; rows: {await db.AgentAnalytics.CountAsync(ct)}");
            await stop.CancelAsync();
            try { await liveLoop; } catch (OperationCanceledException) { }
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Escalates a fresh session (auto-assigned to the online agent) and the agent resolves it; the time of each cycle in ms.</summary>
    private static async Task<List<double>> CycleAsync((IServiceProvider Services, Organization Org, Guid Agent) desk, int count, CancellationToken ct,
        List<double>? messageTimes = null)
    {
        messageTimes ??= [];
        var systemDb = desk.Services.GetRequiredService<SystemDb>();
        var escalations = desk.Services.GetRequiredService<Escalations>();
        var agentDesk = desk.Services.GetRequiredService<AgentDesk>();
        var actor = new DeskActor(desk.Org.Id, desk.Agent, false);
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var session = new ChatbotSession { OrganizationId = desk.Org.Id, SessionToken = ChatbotSession.NewToken() };
            await using (var db = systemDb.CreateContext())
            {
                db.Sessions.Add(session);
                await db.SaveChangesAsync(ct);
            }
            var clock = Stopwatch.StartNew();
            var result = await escalations.EscalateAsync(session.Id, new EscalationRequest(null, "Bench", "bench", 3, "{}", EscalationTriggers.Rule), ct);
            if (result.Assignment?.Status != AssignStatus.Assigned) throw new InvalidOperationException("The benchmark's agent did not get the escalation.");
            var escalated = clock.Elapsed.TotalMilliseconds;

            // The message path, while the previous cycles' live updates run in the background: a customer message
            // stored, published and run through the escalation rules, as the widget and the reply worker do.
            var message = Stopwatch.StartNew();
            await using (var db = systemDb.CreateContext())
            {
                var posted = await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, "Thanks, I am still here.", $"bench-{i}", null, ct);
                await desk.Services.GetRequiredService<CustomerMessages>().AcceptedAsync(db, desk.Org.Id, session.Id, posted.Seq, ct);
                await desk.Services.GetRequiredService<ConversationService>().ReplyAsync(session.Id, posted.Seq, ct, answer: false);
            }
            messageTimes.Add(message.Elapsed.TotalMilliseconds);

            clock.Restart();
            var resolved = await agentDesk.ResolveAsync(actor, session.Id, ct);
            if (resolved.Status != DeskStatus.Ok) throw new InvalidOperationException("The benchmark's agent could not resolve.");
            times.Add(escalated + clock.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private static async Task<(Organization Org, List<Guid> Agents)> OrganizationAsync(IServiceProvider services, string timeZone, int agents, CancellationToken ct)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Bench " + suffix, Slug = "bench-" + suffix, TimeZone = timeZone };
        var ids = new List<Guid>();
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        await using var db = services.GetRequiredService<SystemDb>().CreateContext();
        db.Organizations.Add(org);
        await db.SaveChangesAsync(ct);
        for (var i = 0; i < agents; i++)
        {
            var (user, _) = await UserAccounts.CreateAsync(manager, $"agent{i}-{suffix}@example.test", $"Agent {i}", UserAccounts.NewPassword(), false);
            ids.Add(user!.Id);
            db.OrganizationMembers.Add(new OrganizationMember
            {
                OrganizationId = org.Id, UserId = user.Id, Role = OrgRoles.Agent, Availability = AgentAvailability.Online, MaxConcurrent = 1000,
            });
        }
        await db.SaveChangesAsync(ct);
        return (org, ids);
    }

    private sealed record Facts(int Escalations, int Assignments, int Ratings);

    /// <summary>
    /// Sessions spread over 2026: 60 % escalated (rule 70 %, customer 20 %, agent takeover 10 %), 15 % of those reassigned once,
    /// 85 % resolved by the agent holding them (the rest handed back), 40 % of the resolved rated; written in batches.
    /// </summary>
    private static async Task<Facts> GenerateAsync(SystemDb systemDb, Organization org, List<Guid> agents, int count, CancellationToken ct)
    {
        var random = new Random(42);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        int escalations = 0, assignments = 0, ratings = 0;
        const int batch = 5000;
        for (var done = 0; done < count; done += batch)
        {
            await using var db = systemDb.CreateContext();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = done; i < Math.Min(count, done + batch); i++)
            {
                var created = start.AddSeconds(random.NextDouble() * 364 * 86400);
                var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken(), CreatedAt = created, UpdatedAt = created, Status = SessionStatus.Active };
                db.Sessions.Add(session);
                if (random.NextDouble() >= 0.6) continue;
                var roll = random.NextDouble();
                var escalation = new SessionEscalation
                {
                    OrganizationId = org.Id, SessionId = session.Id, Reason = "bench", EscalatedAt = created.AddMinutes(random.Next(1, 30)),
                    Trigger = roll < 0.7 ? EscalationTriggers.Rule : roll < 0.9 ? EscalationTriggers.Customer : EscalationTriggers.Agent,
                };
                escalations++;
                var agent = agents[random.Next(agents.Count)];
                var at = escalation.EscalatedAt.AddMinutes(random.Next(0, 20));
                var turn = new SessionAssignment { OrganizationId = org.Id, SessionId = session.Id, EscalationId = escalation.Id, AgentId = agent, How = AssignmentHow.Auto, AssignedAt = at };
                db.Assignments.Add(turn);
                assignments++;
                if (random.NextDouble() < 0.15)
                {
                    var next = agents[random.Next(agents.Count)];
                    var moved = at.AddMinutes(random.Next(1, 60));
                    turn.ReleasedAt = moved;
                    turn.ReleaseReason = "reassigned";
                    turn = new SessionAssignment { OrganizationId = org.Id, SessionId = session.Id, EscalationId = escalation.Id, AgentId = next, How = AssignmentHow.Manual, AssignedAt = moved };
                    db.Assignments.Add(turn);
                    assignments++;
                    agent = next;
                    at = moved;
                }
                var ended = at.AddMinutes(random.Next(2, 240));
                var resolved = random.NextDouble() < 0.85;
                escalation.AssignedAgentId = agent;
                escalation.AssignedAt = at;
                escalation.EndedAt = ended;
                escalation.Outcome = resolved ? EscalationOutcomes.Resolved : EscalationOutcomes.HandedBack;
                escalation.EndedBy = agent;
                turn.ReleasedAt = ended;
                turn.ReleaseReason = escalation.Outcome;
                db.Escalations.Add(escalation);
                if (resolved)
                {
                    session.Status = SessionStatus.Resolved;
                    if (random.NextDouble() < 0.4)
                    {
                        db.Csat.Add(new SessionCsat { OrganizationId = org.Id, SessionId = session.Id, Score = random.Next(1, 6), AgentId = agent, CreatedAt = ended.AddMinutes(random.Next(1, 30)) });
                        ratings++;
                    }
                }
            }
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync(ct);
        }
        return new Facts(escalations, assignments, ratings);
    }
}
