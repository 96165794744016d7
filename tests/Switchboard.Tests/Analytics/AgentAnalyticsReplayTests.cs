using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Cli;
using Switchboard.Features.Analytics;
using Switchboard.Features.Escalation;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Analytics;

/// <summary>
/// Replays escalations, assignments, reassignments, resolutions, hand-backs and ratings through the real services and
/// the widget's CSAT route, at instants either side of local midnight in New York (UTC-4 in March 2025), and compares
/// agent_analytics with figures computed by hand; retries change nothing; a rebuild equals the live rows.
/// </summary>
public abstract class AgentAnalyticsReplayTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : SwitchboardFactory, IClockedFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private T Service<T>() where T : notnull => factory.Services.GetRequiredService<T>();

    private void At(string utc) => factory.Clock.Now = DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Row(string Agent, DateOnly Date, int Handled, decimal AvgMinutes, decimal Csat, int Received);

    private async Task<List<Row>> RowsAsync(AnalyticsDesk desk)
    {
        await using var db = factory.SystemContext();
        var rows = await db.AgentAnalytics.AsNoTracking().Where(a => a.OrganizationId == desk.Org.Id).ToListAsync(Ct);
        return [.. rows.Select(a => new Row(a.AgentId == desk.Ann ? "ann" : a.AgentId == desk.Bob ? "bob" : a.AgentId.ToString(), a.Date,
                a.ConversationsHandled ?? 0, a.AvgResolutionTimeMinutes ?? 0, a.CustomerSatisfactionScore ?? 0, a.AiEscalationsReceived ?? 0))
            .OrderBy(r => r.Agent).ThenBy(r => r.Date)];
    }

    private async Task<HttpResponseMessage> RateAsync(string token, int score, string? comment = null) =>
        await factory.CreateClient().PostAsJsonAsync($"/api/widget/sessions/{token}/csat", new { score, comment }, Ct);

    /// <summary>Who holds the session's open escalation (the escalation's own assignment, or the queue drainer's if it came first).</summary>
    private async Task<Guid?> HolderAsync(Guid sessionId)
    {
        await using var db = factory.SystemContext();
        return await db.Escalations.AsNoTracking().Where(e => e.SessionId == sessionId && e.EndedAt == null).Select(e => e.AssignedAgentId).SingleAsync(Ct);
    }

    /// <summary>Live updates run in the background: wait (bounded) until they are done.</summary>
    private async Task IdleAsync() => Assert.True(await Service<AgentAnalyticsUpdater>().IdleAsync(TimeSpan.FromSeconds(60), Ct), "live analytics never caught up");

    private static EscalationRequest RuleFired => new(null, "Refunds", "refund over limit", 3, "{}", EscalationTriggers.Rule);

    /// <summary>The day-boundary scenario; returns the desk. Hand-computed expectations in <see cref="Expected"/>.</summary>
    private async Task<AnalyticsDesk> ReplayAsync()
    {
        var desk = await AnalyticsDesk.CreateAsync(factory, "America/New_York");
        var escalations = Service<Escalations>();
        var agentDesk = Service<AgentDesk>();

        // 1: a rule escalates at 23:30 local on 9 March; ann (online) gets it; at 00:10 on 10 March the admin reassigns it
        //    to bob, who resolves it at 01:40 (90 min after his turn began); the customer rates it 4 at 02:00.
        var one = await desk.SessionAsync(factory);
        At("2025-03-10T03:30:00Z");
        await escalations.EscalateAsync(one.Id, RuleFired, Ct);
        Assert.Equal(desk.Ann, await HolderAsync(one.Id));
        At("2025-03-10T04:10:00Z");
        Assert.Equal(DeskStatus.Ok, (await agentDesk.AssignAsync(desk.AdminActor, one.Id, desk.Bob, Ct)).Status);
        At("2025-03-10T05:40:00Z");
        Assert.Equal(DeskStatus.Ok, (await agentDesk.ResolveAsync(desk.BobActor, one.Id, Ct)).Status);
        At("2025-03-10T06:00:00Z");
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(one.Token, 4)).StatusCode);

        // 2: the customer asks for a person at 10:00 local on 10 March; ann resolves it 45.5 min later; rated 5.
        var two = await desk.SessionAsync(factory);
        At("2025-03-10T14:00:00Z");
        await escalations.EscalateAsync(two.Id, EscalationRequest.CustomerAsked(null), Ct);
        Assert.Equal(desk.Ann, await HolderAsync(two.Id));
        At("2025-03-10T14:45:30Z");
        Assert.Equal(DeskStatus.Ok, (await agentDesk.ResolveAsync(desk.AnnActor, two.Id, Ct)).Status);
        At("2025-03-10T15:00:00Z");
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(two.Token, 5, "quick")).StatusCode);

        // 3: ann takes over a conversation herself at 23:59 local on 10 March (not an AI escalation) and resolves it
        //    two minutes later, on 11 March; rated 2.
        var three = await desk.SessionAsync(factory);
        At("2025-03-11T03:59:00Z");
        Assert.Equal(DeskStatus.Ok, (await agentDesk.TakeAsync(desk.AnnActor, three.Id, Ct)).Status);
        At("2025-03-11T04:01:00Z");
        Assert.Equal(DeskStatus.Ok, (await agentDesk.ResolveAsync(desk.AnnActor, three.Id, Ct)).Status);
        At("2025-03-11T04:30:00Z");
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(three.Token, 2)).StatusCode);

        // 4: a rule escalates at 16:00 local on 10 March to ann, who hands it back to the AI half an hour later.
        var four = await desk.SessionAsync(factory);
        At("2025-03-10T20:00:00Z");
        await escalations.EscalateAsync(four.Id, RuleFired, Ct);
        At("2025-03-10T20:30:00Z");
        Assert.Equal(DeskStatus.Ok, (await agentDesk.HandBackAsync(desk.AnnActor, four.Id, Ct)).Status);

        // 5: the AI alone; the customer resolves it and rates it 1: the AI's rating, no agent's row.
        var five = await desk.SessionAsync(factory);
        At("2025-03-10T16:00:00Z");
        Assert.Equal(EndStatus.Done, await escalations.ResolveAsync(five.Id, null, "customer", Ct));
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(five.Token, 1)).StatusCode);
        factory.Clock.Now = null;
        await IdleAsync();
        return desk;
    }

    private static List<Row> Expected =>
    [
        new("ann", new DateOnly(2025, 3, 9), 0, 0m, 0m, 1),       // 1's first turn at 23:30 local
        new("ann", new DateOnly(2025, 3, 10), 1, 45.50m, 5m, 2),  // 2 resolved and rated; 2 and 4 received; 3's takeover not counted
        new("ann", new DateOnly(2025, 3, 11), 1, 2m, 2m, 0),      // 3 resolved 00:01 local, rated 2
        new("bob", new DateOnly(2025, 3, 10), 1, 90m, 4m, 1),     // 1 reassigned to him (counts as received), resolved, rated 4
    ];

    [Fact]
    public async Task Replayed_events_across_local_midnight_give_the_hand_computed_daily_rows()
    {
        var desk = await ReplayAsync();

        Assert.Equal(Expected, await RowsAsync(desk));
    }

    [Fact]
    public async Task Retried_events_leave_the_same_rows()
    {
        var desk = await ReplayAsync();
        List<Guid> ids;
        await using (var db = factory.SystemContext())
        {
            ids = await db.AgentAnalytics.AsNoTracking().Where(a => a.OrganizationId == desk.Org.Id).OrderBy(a => a.Id).Select(a => a.Id).ToListAsync(Ct);
        }
        var escalations = Service<Escalations>();
        var agentDesk = Service<AgentDesk>();
        var analytics = Service<AgentAnalyticsUpdater>();
        await using (var db = factory.SystemContext())
        {
            var sessions = await db.Escalations.AsNoTracking().Where(e => e.OrganizationId == desk.Org.Id).Select(e => new { e.Id, e.SessionId, e.Outcome }).ToListAsync(Ct);
            Assert.Equal(4, sessions.Count);
            foreach (var escalation in sessions)
            {
                // The same resolution, assignment, rating and live update again, later on another day.
                At("2025-03-12T12:00:00Z");
                if (escalation.Outcome == EscalationOutcomes.Resolved) await escalations.ResolveAsync(escalation.SessionId, desk.Ann, "ann", Ct);
                await agentDesk.AssignAsync(desk.AdminActor, escalation.SessionId, desk.Bob, Ct);
                await analytics.EscalationChangedAsync(escalation.Id, Ct);
                await analytics.EscalationChangedAsync(escalation.Id, Ct);
            }
            foreach (var token in await db.Sessions.AsNoTracking().Where(s => s.OrganizationId == desk.Org.Id).Select(s => s.SessionToken).ToListAsync(Ct))
            {
                var again = await RateAsync(token, 4);
                Assert.True(again.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict or HttpStatusCode.NotFound, again.StatusCode.ToString());
            }
            factory.Clock.Now = null;
        }
        await IdleAsync();

        Assert.Equal(Expected, await RowsAsync(desk));
        await using (var db = factory.SystemContext())
        {
            Assert.Equal(ids, await db.AgentAnalytics.AsNoTracking().Where(a => a.OrganizationId == desk.Org.Id).OrderBy(a => a.Id).Select(a => a.Id).ToListAsync(Ct));
        }
    }

    [Fact]
    public async Task A_rebuild_equals_the_live_rows_and_deletes_rows_the_facts_do_not_support()
    {
        var desk = await ReplayAsync();
        var live = await RowsAsync(desk);
        await using (var db = factory.SystemContext())
        {
            // Damage: a figure changed, a row lost, a row no fact supports.
            var row = await db.AgentAnalytics.FirstAsync(a => a.OrganizationId == desk.Org.Id && a.AgentId == desk.Bob, Ct);
            row.ConversationsHandled = 9;
            db.AgentAnalytics.Remove(await db.AgentAnalytics.FirstAsync(a => a.OrganizationId == desk.Org.Id && a.Date == new DateOnly(2025, 3, 11), Ct));
            db.AgentAnalytics.Add(new AgentAnalytics { AgentId = desk.Bob, OrganizationId = desk.Org.Id, Date = new DateOnly(2025, 3, 20), ConversationsHandled = 3 });
            await db.SaveChangesAsync(Ct);
        }
        Assert.NotEqual(live, await RowsAsync(desk));

        var result = await Service<AgentAnalyticsUpdater>().RebuildAsync(new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31), desk.Org.Slug, null, Ct);

        Assert.Equal(live, await RowsAsync(desk));
        Assert.Equal((1, 1, 1, 2), (result.Inserted, result.Updated, result.Deleted, result.Unchanged));
    }

    [Fact]
    public async Task The_rebuild_command_recomputes_a_range_and_leaves_days_outside_it()
    {
        var desk = await ReplayAsync();
        var live = await RowsAsync(desk);
        await using (var db = factory.SystemContext())
        {
            await db.AgentAnalytics.Where(a => a.OrganizationId == desk.Org.Id).ExecuteDeleteAsync(Ct);
        }
        var settings = factory.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        string[] configuration =
        [
            $"--Database:Provider={settings["Database:Provider"]}", $"--ConnectionStrings:Switchboard={settings["ConnectionStrings:Switchboard"]}",
            .. settings["ConnectionStrings:SwitchboardAdmin"] is { } admin ? [$"--ConnectionStrings:SwitchboardAdmin={admin}"] : Array.Empty<string>(),
            "--Database:MigrateOnStartup=false", "--Database:SeedDemoData=false",
        ];

        Assert.Equal(0, await SwitchboardCli.RunAsync(["analytics", "rebuild", "--from", "2025-03-10", "--to", "2025-03-11", "--org", desk.Org.Slug, .. configuration]));

        Assert.Equal(live.Where(r => r.Date >= new DateOnly(2025, 3, 10)).ToList(), await RowsAsync(desk));
        Assert.Equal(1, await SwitchboardCli.RunAsync(["analytics", "rebuild", "--from", "2025-03-12", "--to", "2025-03-10", .. configuration]));
        Assert.Equal(1, await SwitchboardCli.RunAsync(["analytics", "rebuild", "--from", "2025-03-10", "--to", "2025-03-11", "--org", "no-such-org", .. configuration]));
    }
}

public sealed class SqliteAgentAnalyticsReplayTests(SqliteClockFactory factory) : AgentAnalyticsReplayTests<SqliteClockFactory>(factory);

public sealed class PostgresAgentAnalyticsReplayTests(PostgresClockFactory factory) : AgentAnalyticsReplayTests<PostgresClockFactory>(factory);
