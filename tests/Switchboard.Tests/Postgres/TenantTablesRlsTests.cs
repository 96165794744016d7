using Npgsql;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// Row-level security on the tenant tables around the seed (organizations, memberships, accounts),
/// in raw SQL as the request role: who sees which rows, who may change them, and that secrets are
/// not readable at all.
/// </summary>
public sealed class TenantTablesRlsTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<Actor, string> VisibleOrganizations => new()
    {
        { Actor.Nobody, "" },
        { Actor.Anonymous, "" },
        { Actor.Customer, "" },
        { Actor.PlatformAdmin, "" },
        { Actor.MemberOfOrg, "org" },
        { Actor.AgentOfOrg, "org" },
        { Actor.AdminOfOrg, "org" },
        { Actor.AgentOfAnotherOrg, "other" },
        { Actor.AdminOfAnotherOrg, "other" },
    };

    [Theory]
    [MemberData(nameof(VisibleOrganizations))]
    public async Task EachActorSeesOnlyTheOrganizationsItBelongsTo(Actor actor, string expected)
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        var seen = await IdsAsync(connection, "SELECT id FROM organizations");
        var want = expected switch { "org" => new[] { seed.Org }, "other" => [seed.OtherOrg], _ => [] };
        Assert.Equal(want.Order(), seen.Order());
    }

    public static TheoryData<Actor, int> VisibleMemberships => new()
    {
        { Actor.Nobody, 0 },
        { Actor.Customer, 0 },
        { Actor.PlatformAdmin, 0 },
        { Actor.MemberOfOrg, 1 },       // their own membership only
        { Actor.AgentOfOrg, 3 },        // everyone in the org
        { Actor.AdminOfOrg, 3 },
        { Actor.AdminOfAnotherOrg, 2 },
    };

    [Theory]
    [MemberData(nameof(VisibleMemberships))]
    public async Task MembershipsAreVisibleToThePersonAndToAgentsOfTheOrganization(Actor actor, int expected)
    {
        await fixture.ReadyAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        Assert.Equal((long)expected, await ScalarAsync<long>(connection, "SELECT count(*) FROM organization_members"));
    }

    public static TheoryData<Actor, int> VisibleUsers => new()
    {
        { Actor.Nobody, 0 },
        { Actor.Anonymous, 0 },
        { Actor.Customer, 1 },          // themselves
        { Actor.MemberOfOrg, 1 },
        { Actor.AgentOfOrg, 3 },        // the org's member, agent and admin
        { Actor.AdminOfAnotherOrg, 2 },
        { Actor.PlatformAdmin, 1 },
    };

    [Theory]
    [MemberData(nameof(VisibleUsers))]
    public async Task AccountsAreVisibleToThemselvesAndToAgentsOfTheirOrganizations(Actor actor, int expected)
    {
        await fixture.ReadyAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        Assert.Equal((long)expected, await ScalarAsync<long>(connection, "SELECT count(*) FROM auth.users"));
    }

    [Theory]
    [InlineData("SELECT password_hash FROM auth.users")]
    [InlineData("SELECT security_stamp FROM auth.users")]
    [InlineData("SELECT * FROM auth.users")]
    [InlineData("SELECT identity_secret FROM organizations")]
    [InlineData("SELECT count(*) FROM auth.user_tokens")]
    [InlineData("INSERT INTO auth.users (id, display_name, is_platform_admin, email_confirmed, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count) VALUES (gen_random_uuid(), 'x', true, true, false, false, false, 0)")]
    [InlineData("UPDATE auth.users SET is_platform_admin = true")]
    [InlineData("UPDATE organizations SET identity_secret = 'mine'")]
    [InlineData("INSERT INTO organizations (name, slug, widget_key, identity_secret) VALUES ('x', 'x', 'x', 'x')")]
    public async Task SecretsAndPrivilegesAreOutOfReachEvenForAnAdmin(string sql)
    {
        await fixture.ReadyAsync();
        await using var connection = await fixture.ConnectAsAsync(Actor.AdminOfOrg, Ct);
        var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<object>(connection, sql));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task AdminUpdatesTheirOrganizationButNotAnother()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var connection = await fixture.ConnectAsAsync(Actor.AdminOfOrg, Ct);
        Assert.Equal(1, await ExecuteAsync(connection, "UPDATE organizations SET time_zone = 'Europe/Paris' WHERE id = @id", seed.Org));
        Assert.Equal(0, await ExecuteAsync(connection, "UPDATE organizations SET time_zone = 'Europe/Paris' WHERE id = @id", seed.OtherOrg));

        await using var agent = await fixture.ConnectAsAsync(Actor.AgentOfOrg, Ct);
        Assert.Equal(0, await ExecuteAsync(agent, "UPDATE organizations SET name = 'Agents rule' WHERE id = @id", seed.Org));
    }

    [Fact]
    public async Task OnlyAdminsManageTheirOrganizationsMembers()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        const string add = "INSERT INTO organization_members (organization_id, user_id, role) VALUES (@id, @user, 'admin')";

        await using var agent = await fixture.ConnectAsAsync(Actor.AgentOfOrg, Ct);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(agent, add, seed.Org, seed.Customer));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        Assert.Equal(0, await ExecuteAsync(agent, "UPDATE organization_members SET role = 'admin' WHERE user_id = @user", seed.Org, seed.Agent));

        await using var otherAdmin = await fixture.ConnectAsAsync(Actor.AdminOfAnotherOrg, Ct);
        var foreign = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(otherAdmin, add, seed.Org, seed.OtherCustomer));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, foreign.SqlState);
        Assert.Equal(0, await ExecuteAsync(otherAdmin, "DELETE FROM organization_members WHERE organization_id = @id", seed.Org));

        await using var admin = await fixture.ConnectAsAsync(Actor.AdminOfOrg, Ct);
        Assert.Equal(1, await ExecuteAsync(admin, "INSERT INTO organization_members (organization_id, user_id, role) VALUES (@id, @user, 'member')", seed.Org, seed.Customer));
        Assert.Equal(1, await ExecuteAsync(admin, "DELETE FROM organization_members WHERE organization_id = @id AND user_id = @user", seed.Org, seed.Customer));
    }

    [Fact]
    public async Task PeopleRenameThemselvesOnly()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var connection = await fixture.ConnectAsAsync(Actor.AgentOfOrg, Ct);
        Assert.Equal(1, await ExecuteAsync(connection, "UPDATE auth.users SET display_name = 'Agent Smith' WHERE id = @id", seed.Agent));
        Assert.Equal(0, await ExecuteAsync(connection, "UPDATE auth.users SET display_name = 'Boss' WHERE id = @id", seed.Admin));
    }

    private static async Task<List<Guid>> IdsAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(Ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, Guid id, Guid? user = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        if (user is not null) command.Parameters.AddWithValue("user", user.Value);
        return await command.ExecuteNonQueryAsync(Ct);
    }
}
