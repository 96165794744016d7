using Npgsql;

namespace Switchboard.Tests.Postgres;

/// <summary>Row-level security on knowledge_article_outcomes, in raw SQL as the request role: the organization's agents and admins read, nobody writes.</summary>
public sealed class ArticleOutcomesRlsTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One outcome in the org (the customer's session, the org's article) and one in another org; the same rows for every test.</summary>
    private async Task<RlsSeed> SeedOutcomesAsync()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var owner = await fixture.ConnectAsOwnerAsync(Ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO knowledge_article_outcomes (organization_id, article_id, session_id, message_id, kind, positive)
            VALUES (@org, @article, @session, NULL, 'session', true), (@other, @otherArticle, @otherSession, NULL, 'session', false)
            ON CONFLICT DO NOTHING
            """, owner);
        command.Parameters.AddWithValue("org", seed.Org);
        command.Parameters.AddWithValue("article", seed.OrgArticle);
        command.Parameters.AddWithValue("session", seed.CustomerSession);
        command.Parameters.AddWithValue("other", seed.OtherOrg);
        command.Parameters.AddWithValue("otherArticle", seed.OtherOrgArticle);
        command.Parameters.AddWithValue("otherSession", seed.OtherCustomerSession);
        await command.ExecuteNonQueryAsync(Ct);
        return seed;
    }

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
    public async Task OutcomesAreReadableByTheirOrganizationsAgentsAndAdminsOnly(Actor actor, bool seesOrg, bool seesOther)
    {
        var seed = await SeedOutcomesAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        var sessions = new List<Guid>();
        await using (var command = new NpgsqlCommand("SELECT session_id FROM knowledge_article_outcomes", connection))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct)) sessions.Add(reader.GetGuid(0));
        }

        Assert.Equal(seesOrg, sessions.Contains(seed.CustomerSession));
        Assert.Equal(seesOther, sessions.Contains(seed.OtherCustomerSession));
    }

    [Theory]
    [InlineData(Actor.AdminOfOrg)]
    [InlineData(Actor.AgentOfOrg)]
    [InlineData(Actor.Customer)]
    [InlineData(Actor.Anonymous)]
    public async Task NobodyOnTheRequestPathRecordsChangesOrDeletesAnOutcome(Actor actor)
    {
        var seed = await SeedOutcomesAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        string[] statements =
        [
            "INSERT INTO knowledge_article_outcomes (organization_id, article_id, session_id, kind, positive) VALUES (@org, @article, @session, 'session', true)",
            "UPDATE knowledge_article_outcomes SET positive = NOT positive WHERE session_id = @session",
            "DELETE FROM knowledge_article_outcomes WHERE session_id = @session",
        ];
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("org", seed.Org);
            command.Parameters.AddWithValue("article", seed.GlobalArticle);
            command.Parameters.AddWithValue("session", seed.CustomerSession);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Ct));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }
}
