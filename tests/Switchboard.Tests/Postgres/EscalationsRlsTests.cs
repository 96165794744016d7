using Npgsql;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// 008_escalations_row_level_security.sql on the request role: escalations, assignments and internal notes are
/// the organization's agents' and admins' to read; notes are written by an agent in their own name; the rest only
/// by the trusted path.
/// </summary>
public sealed class EscalationsRlsTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An escalation, an assignment turn and a note in the org, and the same in another org.</summary>
    private async Task<RlsSeed> SeedAsync()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var owner = await fixture.ConnectAsOwnerAsync(Ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO session_escalations (id, organization_id, session_id, reason, priority, assigned_agent_id, escalated_at)
            VALUES (@e1, @org, @session, 'seeded', 3, @agent, now()), (@e2, @other, @otherSession, 'seeded', 3, @otherAgent, now())
            ON CONFLICT DO NOTHING;
            INSERT INTO session_assignments (id, organization_id, session_id, escalation_id, agent_id, how, assigned_at)
            VALUES (@e1, @org, @session, @e1, @agent, 'auto', now()), (@e2, @other, @otherSession, @e2, @otherAgent, 'auto', now())
            ON CONFLICT DO NOTHING;
            INSERT INTO session_notes (id, organization_id, session_id, agent_id, content, created_at)
            VALUES (@e1, @org, @session, @agent, 'note in org', now()), (@e2, @other, @otherSession, @otherAgent, 'note in other org', now())
            ON CONFLICT DO NOTHING;
            """, owner);
        command.Parameters.AddWithValue("e1", Escalation(seed.CustomerSession));
        command.Parameters.AddWithValue("e2", Escalation(seed.OtherCustomerSession));
        command.Parameters.AddWithValue("org", seed.Org);
        command.Parameters.AddWithValue("other", seed.OtherOrg);
        command.Parameters.AddWithValue("session", seed.CustomerSession);
        command.Parameters.AddWithValue("otherSession", seed.OtherCustomerSession);
        command.Parameters.AddWithValue("agent", seed.Agent);
        command.Parameters.AddWithValue("otherAgent", seed.OtherAgent);
        await command.ExecuteNonQueryAsync(Ct);
        return seed;
    }

    // One fixed id per seeded session, so that every test seeds the same rows once.
    private static Guid Escalation(Guid session) => new(session.ToByteArray().Reverse().ToArray());

    [Theory]
    [InlineData(Actor.Nobody, false, false)]
    [InlineData(Actor.Anonymous, false, false)]
    [InlineData(Actor.Customer, false, false)]
    [InlineData(Actor.AnotherCustomer, false, false)]
    [InlineData(Actor.PlatformAdmin, false, false)]
    [InlineData(Actor.MemberOfOrg, false, false)]
    [InlineData(Actor.AgentOfOrg, true, false)]
    [InlineData(Actor.AdminOfOrg, true, false)]
    [InlineData(Actor.AgentOfAnotherOrg, false, true)]
    [InlineData(Actor.AdminOfAnotherOrg, false, true)]
    public async Task Escalations_assignments_and_notes_are_readable_by_their_organizations_agents_and_admins_only(Actor actor, bool seesOrg, bool seesOther)
    {
        var seed = await SeedAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        foreach (var table in new[] { "session_escalations", "session_assignments", "session_notes" })
        {
            var sessions = new List<Guid>();
            await using (var command = new NpgsqlCommand($"SELECT session_id FROM {table}", connection))
            await using (var reader = await command.ExecuteReaderAsync(Ct))
            {
                while (await reader.ReadAsync(Ct)) sessions.Add(reader.GetGuid(0));
            }
            Assert.Equal(seesOrg, sessions.Contains(seed.CustomerSession));
            Assert.Equal(seesOther, sessions.Contains(seed.OtherCustomerSession));
        }
    }

    [Theory]
    [InlineData(Actor.AdminOfOrg)]
    [InlineData(Actor.AgentOfOrg)]
    [InlineData(Actor.Customer)]
    [InlineData(Actor.Anonymous)]
    public async Task Nobody_on_the_request_path_escalates_assigns_or_changes_an_assignment(Actor actor)
    {
        var seed = await SeedAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        string[] statements =
        [
            "INSERT INTO session_escalations (organization_id, session_id, reason, priority) VALUES (@org, @session, 'x', 1)",
            "UPDATE session_escalations SET assigned_agent_id = NULL WHERE session_id = @session",
            "DELETE FROM session_assignments WHERE session_id = @session",
            "UPDATE session_notes SET content = 'changed' WHERE session_id = @session",
            "UPDATE organization_members SET active_conversations = 0 WHERE organization_id = @org",
        ];
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("org", seed.Org);
            command.Parameters.AddWithValue("session", seed.CustomerSession);
            try
            {
                var changed = await command.ExecuteNonQueryAsync(Ct);
                // Granted but filtered (members' rows): nothing changes, except for the organization's admins, who manage members (002).
                var adminOnMembers = actor == Actor.AdminOfOrg && sql.Contains("organization_members", StringComparison.Ordinal);
                Assert.True(changed == 0 || adminOnMembers, $"{actor}: {sql} changed {changed} rows");
            }
            catch (PostgresException refused)
            {
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            }
        }
        await using var owner = await fixture.ConnectAsOwnerAsync(Ct);
        await using var check = new NpgsqlCommand("SELECT count(*) FROM session_escalations WHERE session_id = @session AND assigned_agent_id IS NOT NULL", owner);
        check.Parameters.AddWithValue("session", seed.CustomerSession);
        Assert.Equal(1L, await check.ExecuteScalarAsync(Ct));
    }

    [Theory]
    [InlineData(Actor.AgentOfOrg, true)]
    [InlineData(Actor.AdminOfOrg, false)] // in someone else's name
    [InlineData(Actor.AgentOfAnotherOrg, false)]
    [InlineData(Actor.Customer, false)]
    [InlineData(Actor.MemberOfOrg, false)]
    public async Task Only_an_agent_of_the_organization_writes_a_note_and_only_in_their_own_name(Actor actor, bool allowed)
    {
        var seed = await SeedAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        await using var command = new NpgsqlCommand(
            "INSERT INTO session_notes (organization_id, session_id, agent_id, content) VALUES (@org, @session, @agent, 'hello team')", connection);
        command.Parameters.AddWithValue("org", seed.Org);
        command.Parameters.AddWithValue("session", seed.CustomerSession);
        command.Parameters.AddWithValue("agent", seed.Agent);
        if (allowed)
        {
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }
        else
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Ct));
            Assert.Contains(refused.SqlState, new[] { PostgresErrorCodes.InsufficientPrivilege, "42501" });
        }
    }
}
