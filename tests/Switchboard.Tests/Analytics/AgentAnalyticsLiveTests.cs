using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Analytics;
using Switchboard.Features.Escalation;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Analytics;

/// <summary>
/// How live agent_analytics updates are scheduled: changes gather (here for up to a minute, so nothing depends on timing)
/// and each touched agent-day is recomputed once; what a stopped node never recomputed, the next node's start-up repairs.
/// </summary>
public abstract class AgentAnalyticsLiveTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : SwitchboardFactory, IClockedFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Another server on the same database, with the default analytics settings.</summary>
    protected abstract SwitchboardFactory SecondServer(TFactory first);

    private AgentAnalyticsUpdater Updater => factory.Services.GetRequiredService<AgentAnalyticsUpdater>();

    private async Task<List<AgentAnalytics>> RowsAsync(SwitchboardFactory server, Guid organizationId)
    {
        await using var db = server.SystemContext();
        return await db.AgentAnalytics.AsNoTracking().Where(a => a.OrganizationId == organizationId).OrderBy(a => a.AgentId).ThenBy(a => a.Date).ToListAsync(Ct);
    }

    /// <summary>A rule escalates a fresh session at <paramref name="escalatedUtc"/> (ann is online and gets it); ann resolves it at <paramref name="resolvedUtc"/>.</summary>
    private async Task ConversationAsync(AnalyticsDesk desk, string? escalatedUtc, string? resolvedUtc)
    {
        var session = await desk.SessionAsync(factory);
        factory.Clock.Now = escalatedUtc is null ? null : DateTimeOffset.Parse(escalatedUtc, System.Globalization.CultureInfo.InvariantCulture);
        var escalated = await factory.Services.GetRequiredService<Escalations>()
            .EscalateAsync(session.Id, new EscalationRequest(null, "Refunds", "refund over limit", 3, "{}", EscalationTriggers.Rule), Ct);
        Assert.Equal(AssignStatus.Assigned, escalated.Assignment?.Status);
        factory.Clock.Now = resolvedUtc is null ? null : DateTimeOffset.Parse(resolvedUtc, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(DeskStatus.Ok, (await factory.Services.GetRequiredService<AgentDesk>().ResolveAsync(desk.AnnActor, session.Id, Ct)).Status);
        factory.Clock.Now = null;
    }

    [Fact]
    public async Task Changes_that_arrive_together_recompute_each_agent_day_once()
    {
        Assert.True(await Updater.IdleAsync(TimeSpan.FromSeconds(60), Ct)); // the start-up repair
        var desk = await AnalyticsDesk.CreateAsync(factory, "Europe/Berlin");
        var before = Updater.Recomputations;

        // Six conversations on 14 July 2026 (Berlin, UTC+2): assigned 10:00, resolved 10:10 + i minutes.
        for (var i = 0; i < 6; i++)
        {
            await ConversationAsync(desk, $"2026-07-14T08:00:00Z", $"2026-07-14T08:{10 + i}:00Z");
        }

        // Twelve changes (an assignment and a resolution each) are gathering; none is recomputed yet.
        Assert.Equal(12, Updater.Pending);
        Assert.Empty(await RowsAsync(factory, desk.Org.Id));

        Assert.True(await Updater.IdleAsync(TimeSpan.FromSeconds(60), Ct));

        Assert.Equal(before + 1, Updater.Recomputations);
        var row = Assert.Single(await RowsAsync(factory, desk.Org.Id));
        Assert.Equal((desk.Ann, new DateOnly(2026, 7, 14), 6, 12.5m, 6), (row.AgentId, row.Date, row.ConversationsHandled, row.AvgResolutionTimeMinutes, row.AiEscalationsReceived));
    }

    [Fact]
    public async Task A_starting_server_recomputes_the_recent_days_another_had_not()
    {
        Assert.True(await Updater.IdleAsync(TimeSpan.FromSeconds(60), Ct));
        var desk = await AnalyticsDesk.CreateAsync(factory, "UTC");
        await ConversationAsync(desk, null, null);
        await ConversationAsync(desk, null, null);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await using (var db = factory.SystemContext())
        {
            // A row no fact supports: the repair adds and corrects rows but never deletes (only a rebuild does).
            db.AgentAnalytics.Add(new AgentAnalytics { AgentId = desk.Bob, OrganizationId = desk.Org.Id, Date = today, ConversationsHandled = 3 });
            await db.SaveChangesAsync(Ct);
        }
        // This server still holds the four changes (as a node that stops now would lose them).
        Assert.Equal(4, Updater.Pending);
        Assert.DoesNotContain(await RowsAsync(factory, desk.Org.Id), r => r.AgentId == desk.Ann);

        await using var second = SecondServer(factory);
        await second.InitializeAsync();
        Assert.True(await second.Services.GetRequiredService<AgentAnalyticsUpdater>().IdleAsync(TimeSpan.FromSeconds(60), Ct));

        var rows = await RowsAsync(second, desk.Org.Id);
        var ann = rows.Where(r => r.AgentId == desk.Ann).ToList();
        Assert.Equal(2, ann.Sum(r => r.ConversationsHandled));
        Assert.Equal(2, ann.Sum(r => r.AiEscalationsReceived));
        Assert.Contains(rows, r => r.AgentId == desk.Bob && r.Date == today && r.ConversationsHandled == 3);

        // The first server's own recomputation, when it comes, writes the same figures.
        Assert.True(await Updater.IdleAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.Equal(ann.Select(r => (r.Id, r.ConversationsHandled, r.AiEscalationsReceived)),
            (await RowsAsync(factory, desk.Org.Id)).Where(r => r.AgentId == desk.Ann).Select(r => (r.Id, r.ConversationsHandled, r.AiEscalationsReceived)));
    }
}

/// <summary>A clocked server whose live updates gather for up to a minute (flushed by IdleAsync).</summary>
public sealed class SqliteGatheringFactory : SqliteClockFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Analytics:LiveDelayMilliseconds"] = "60000";
}

public sealed class PostgresGatheringFactory : PostgresClockFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Analytics:LiveDelayMilliseconds"] = "60000";
}

public sealed class SqliteAgentAnalyticsLiveTests(SqliteGatheringFactory factory) : AgentAnalyticsLiveTests<SqliteGatheringFactory>(factory)
{
    protected override SwitchboardFactory SecondServer(SqliteGatheringFactory first) => new SqliteFactory(first);
}

public sealed class PostgresAgentAnalyticsLiveTests(PostgresGatheringFactory factory) : AgentAnalyticsLiveTests<PostgresGatheringFactory>(factory)
{
    protected override SwitchboardFactory SecondServer(PostgresGatheringFactory first) => new PostgresFactory(first);
}
