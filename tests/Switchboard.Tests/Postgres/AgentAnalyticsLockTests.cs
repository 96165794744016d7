using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Organizations;
using Switchboard.Features.Analytics;
using Switchboard.Features.Escalation;
using Switchboard.Tests.Analytics;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// Two servers recomputing one organization's agent_analytics at once: the later one waits for the earlier one's
/// transaction and then reads the facts it committed, so it cannot write older figures over newer ones.
/// </summary>
public sealed class AgentAnalyticsLockTests(PostgresClockFactory factory) : IClassFixture<PostgresClockFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_recomputation_that_waited_for_another_reads_the_facts_committed_meanwhile()
    {
        var updater = factory.Services.GetRequiredService<AgentAnalyticsUpdater>();
        var desk = await AnalyticsDesk.CreateAsync(factory, "UTC");
        var session = await desk.SessionAsync(factory);
        var escalated = await factory.Services.GetRequiredService<Escalations>()
            .EscalateAsync(session.Id, new EscalationRequest(null, "Refunds", "refund over limit", 3, "{}", EscalationTriggers.Rule), Ct);
        Assert.Equal(AssignStatus.Assigned, escalated.Assignment?.Status);
        Assert.True(await updater.IdleAsync(TimeSpan.FromSeconds(60), Ct)); // nothing else recomputes from here on

        // "Another server" holds the organization's recomputation lock while it commits a resolution ten minutes after the assignment.
        await using var other = factory.SystemContext();
        await using var transaction = await other.Database.BeginTransactionAsync(Ct);
        await other.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AgentAnalyticsUpdater.LockKey(desk.Org.Id)})", Ct);
        var escalation = await other.Escalations.SingleAsync(e => e.SessionId == session.Id, Ct);
        var turn = await other.Assignments.SingleAsync(a => a.SessionId == session.Id, Ct);
        var resolvedAt = turn.AssignedAt.AddMinutes(10);
        (escalation.EndedAt, escalation.Outcome, escalation.EndedBy) = (resolvedAt, EscalationOutcomes.Resolved, desk.Ann);
        (turn.ReleasedAt, turn.ReleaseReason) = (resolvedAt, EscalationOutcomes.Resolved);
        await other.SaveChangesAsync(Ct);
        var day = TimeZones.LocalDate(resolvedAt, TimeZoneInfo.Utc);

        var recompute = updater.RecomputeAsync(desk.Org.Id, TimeZoneInfo.Utc, day, day, null, Ct);
        await WaitForWaiterAsync(AgentAnalyticsUpdater.LockKey(desk.Org.Id));
        Assert.False(recompute.IsCompleted);
        await transaction.CommitAsync(Ct);
        await recompute;

        await using var db = factory.SystemContext();
        var row = await db.AgentAnalytics.AsNoTracking().SingleAsync(a => a.OrganizationId == desk.Org.Id && a.AgentId == desk.Ann && a.Date == day, Ct);
        Assert.Equal((1, 10m), (row.ConversationsHandled, row.AvgResolutionTimeMinutes));
    }

    /// <summary>Until a session of this database waits for the advisory lock <paramref name="key"/> (bounded: 30 s).</summary>
    private async Task WaitForWaiterAsync(long key)
    {
        long high = (uint)(key >> 32), low = (uint)key;
        await using var db = factory.SystemContext();
        for (var i = 0; i < 300; i++)
        {
            var waiting = await db.Database.SqlQuery<int>($"""
                SELECT count(*)::int AS "Value" FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1 AND classid::bigint = {high} AND objid::bigint = {low}
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """).SingleAsync(Ct);
            if (waiting > 0) return;
            await Task.Delay(100, Ct);
        }
        Assert.Fail("The recomputation never waited for the lock.");
    }
}
