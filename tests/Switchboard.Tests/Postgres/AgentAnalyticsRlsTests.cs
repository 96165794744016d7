using Npgsql;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// agent_analytics on the request role (001): an agent reads their own rows, an organization's admin reads all of the
/// organization's; nobody on the request path writes them (only the trusted path's live updates and rebuilds do).
/// </summary>
public sealed class AgentAnalyticsRlsTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Actor.Nobody, false, false, false)]
    [InlineData(Actor.Anonymous, false, false, false)]
    [InlineData(Actor.Customer, false, false, false)]
    [InlineData(Actor.PlatformAdmin, false, false, false)]
    [InlineData(Actor.MemberOfOrg, false, false, false)]
    [InlineData(Actor.AgentOfOrg, true, false, false)]
    [InlineData(Actor.AdminOfOrg, true, true, false)]
    [InlineData(Actor.AgentOfAnotherOrg, false, false, true)]
    [InlineData(Actor.AdminOfAnotherOrg, false, false, true)]
    public async Task An_agent_reads_their_own_rows_and_an_admin_their_organizations(Actor actor, bool seesAgent, bool seesAdmin, bool seesOther)
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        var ids = new List<Guid>();
        await using (var command = new NpgsqlCommand("SELECT id FROM agent_analytics", connection))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct)) ids.Add(reader.GetGuid(0));
        }
        Assert.Equal(seesAgent, ids.Contains(seed.AgentAnalytics));
        Assert.Equal(seesAdmin, ids.Contains(seed.AdminAnalytics));
        Assert.Equal(seesOther, ids.Contains(seed.OtherAgentAnalytics));
    }

    [Theory]
    [InlineData(Actor.AgentOfOrg)]
    [InlineData(Actor.AdminOfOrg)]
    [InlineData(Actor.Customer)]
    [InlineData(Actor.Anonymous)]
    public async Task Nobody_on_the_request_path_writes_analytics(Actor actor)
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        string[] statements =
        [
            "INSERT INTO agent_analytics (id, agent_id, organization_id, date, conversations_handled) VALUES (gen_random_uuid(), @agent, @org, DATE '2001-01-01', 99)",
            "UPDATE agent_analytics SET conversations_handled = 99 WHERE id = @row",
            "DELETE FROM agent_analytics WHERE id = @row",
        ];
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("agent", seed.Agent);
            command.Parameters.AddWithValue("org", seed.Org);
            command.Parameters.AddWithValue("row", seed.AgentAnalytics);
            try
            {
                Assert.Equal(0, await command.ExecuteNonQueryAsync(Ct));
            }
            catch (PostgresException refused)
            {
                Assert.True(refused.SqlState is PostgresErrorCodes.InsufficientPrivilege, $"{actor}: {sql}: {refused.SqlState}");
            }
        }
        await using var owner = await fixture.ConnectAsOwnerAsync(Ct);
        await using var check = new NpgsqlCommand("SELECT count(*) FROM agent_analytics WHERE id = @row AND conversations_handled <> 99", owner);
        check.Parameters.AddWithValue("row", seed.AgentAnalytics);
        Assert.Equal(1L, await check.ExecuteScalarAsync(Ct));
        await using var none = new NpgsqlCommand("SELECT count(*) FROM agent_analytics WHERE date = DATE '2001-01-01'", owner);
        Assert.Equal(0L, await none.ExecuteScalarAsync(Ct));
    }
}
