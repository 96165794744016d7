using Npgsql;
using Switchboard.Tests.Postgres;

namespace Switchboard.Tests.Webhooks;

/// <summary>Row-level security on webhook_endpoints and webhook_deliveries, in raw SQL as the request role: the organization's admins only.</summary>
public sealed class WebhooksRlsTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid OrgHook, Guid OtherHook, Guid OrgDelivery, RlsSeed Seed)> SeedAsync()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        var (orgHook, otherHook, orgDelivery, otherDelivery) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using var owner = await fixture.ConnectAsOwnerAsync(Ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO webhook_endpoints (id, organization_id, url, secret, events) VALUES
                (@a, @org, 'https://a.example/hook', 'whsec_a', '{message.created}'), (@b, @other, 'https://b.example/hook', 'whsec_b', '{session.resolved}');
            INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, payload, attempts) VALUES
                (@da, @org, @a, gen_random_uuid(), 'message.created', '{}', 0), (@db, @other, @b, gen_random_uuid(), 'session.resolved', '{}', 0);
            """, owner);
        command.Parameters.AddWithValue("a", orgHook);
        command.Parameters.AddWithValue("b", otherHook);
        command.Parameters.AddWithValue("da", orgDelivery);
        command.Parameters.AddWithValue("db", otherDelivery);
        command.Parameters.AddWithValue("org", seed.Org);
        command.Parameters.AddWithValue("other", seed.OtherOrg);
        await command.ExecuteNonQueryAsync(Ct);
        return (orgHook, otherHook, orgDelivery, seed);
    }

    private static async Task<List<Guid>> IdsAsync(NpgsqlConnection connection, string sql)
    {
        var ids = new List<Guid>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    [Theory]
    [InlineData(Actor.Nobody, false, false)]
    [InlineData(Actor.Anonymous, false, false)]
    [InlineData(Actor.Customer, false, false)]
    [InlineData(Actor.PlatformAdmin, false, false)]
    [InlineData(Actor.MemberOfOrg, false, false)]
    [InlineData(Actor.AgentOfOrg, false, false)]
    [InlineData(Actor.AdminOfOrg, true, false)]
    [InlineData(Actor.AdminOfAnotherOrg, false, true)]
    public async Task EndpointsAndDeliveriesAreVisibleToTheirOrganizationsAdminsOnly(Actor actor, bool seesOrg, bool seesOther)
    {
        var (orgHook, otherHook, _, _) = await SeedAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);

        var hooks = await IdsAsync(connection, "SELECT id FROM webhook_endpoints");
        var deliveries = await IdsAsync(connection, "SELECT endpoint_id FROM webhook_deliveries");

        Assert.Equal(seesOrg, hooks.Contains(orgHook));
        Assert.Equal(seesOther, hooks.Contains(otherHook));
        Assert.Equal(seesOrg, deliveries.Contains(orgHook));
        Assert.Equal(seesOther, deliveries.Contains(otherHook));
    }

    [Theory]
    [InlineData(Actor.AdminOfOrg, true)]
    [InlineData(Actor.AgentOfOrg, false)]
    [InlineData(Actor.MemberOfOrg, false)]
    [InlineData(Actor.AdminOfAnotherOrg, false)]
    public async Task OnlyTheOrganizationsAdminsCreateEndpoints(Actor actor, bool allowed)
    {
        var (_, _, _, seed) = await SeedAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        await using var command = new NpgsqlCommand("INSERT INTO webhook_endpoints (organization_id, url, secret) VALUES (@org, 'https://x.example/', 'whsec_x')", connection);
        command.Parameters.AddWithValue("org", seed.Org);

        if (allowed)
        {
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }
        else
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Ct));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }

    [Theory]
    [InlineData(Actor.AdminOfOrg)]
    [InlineData(Actor.AdminOfAnotherOrg)]
    public async Task NobodyOnTheRequestPathWritesDeliveries(Actor actor)
    {
        var (orgHook, _, orgDelivery, seed) = await SeedAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        await using var insert = new NpgsqlCommand("INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, event_type, payload, attempts) VALUES (@org, @hook, gen_random_uuid(), 'ping', '{}', 0)", connection);
        insert.Parameters.AddWithValue("org", seed.Org);
        insert.Parameters.AddWithValue("hook", orgHook);
        await using var update = new NpgsqlCommand("UPDATE webhook_deliveries SET status = 'succeeded' WHERE id = @id", connection);
        update.Parameters.AddWithValue("id", orgDelivery);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync(Ct));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        var refusedUpdate = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync(Ct));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refusedUpdate.SqlState);
    }
}
