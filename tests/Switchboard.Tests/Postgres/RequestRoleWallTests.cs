using Npgsql;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// The request role cannot step around the policies: it is no superuser, cannot bypass or switch
/// off row-level security, owns nothing, and cannot become a role that could.
/// </summary>
public sealed class RequestRoleWallTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> TenantTables => [.. Tables.All];

    public static IEnumerable<TheoryDataRow<string, string>> OwnerOnlyStatements() =>
        from table in Tables.All
        from statement in new[]
        {
            $"ALTER TABLE public.{table} DISABLE ROW LEVEL SECURITY",
            $"ALTER TABLE public.{table} NO FORCE ROW LEVEL SECURITY",
            $"CREATE POLICY everything ON public.{table} FOR ALL TO switchboard_app USING (true)",
            $"""DROP POLICY "System has full access" ON public.{table}""",
        }
        select new TheoryDataRow<string, string>(table, statement);

    [Fact]
    public async Task RequestRoleIsNeitherSuperuserNorAbleToBypassRowLevelSecurity()
    {
        await using var connection = await ConnectAsync(Actor.Nobody);
        await using var command = new NpgsqlCommand("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);

        Assert.False(reader.GetBoolean(0), "the request role is a superuser");
        Assert.False(reader.GetBoolean(1), "the request role has BYPASSRLS");
    }

    [Fact]
    public async Task RequestRoleIsAMemberOfSwitchboardAppButNotOfSwitchboardSystem()
    {
        await using var connection = await ConnectAsync(Actor.Nobody);

        Assert.True(await ScalarAsync<bool>(connection, "SELECT pg_has_role(current_user, 'switchboard_app', 'MEMBER')"));
        Assert.False(await ScalarAsync<bool>(connection, "SELECT pg_has_role(current_user, 'switchboard_system', 'MEMBER')"));
        Assert.False(await ScalarAsync<bool>(connection, "SELECT pg_has_role(current_user, 'switchboard_owner', 'MEMBER')"));
    }

    [Fact]
    public async Task RequestRoleOwnsNoTableNoSchemaAndNoFunction()
    {
        await using var connection = await ConnectAsync(Actor.Nobody);

        Assert.Equal(0L, await ScalarAsync<long>(connection,
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"));
        Assert.Equal(0L, await ScalarAsync<long>(connection,
            "SELECT count(*) FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"));
        Assert.Equal(0L, await ScalarAsync<long>(connection,
            "SELECT count(*) FROM pg_proc WHERE proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"));
    }

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task EveryTenantTableEnablesAndForcesRowLevelSecurity(string table)
    {
        await using var connection = await ConnectAsync(Actor.Nobody);
        await using var command = new NpgsqlCommand(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = ('public.' || @table)::regclass", connection);
        command.Parameters.AddWithValue("table", table);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);

        Assert.True(reader.GetBoolean(0), $"{table} does not enable row-level security");
        Assert.True(reader.GetBoolean(1), $"{table} does not force row-level security on its owner");
    }

    [Theory]
    [MemberData(nameof(OwnerOnlyStatements))]
    public async Task RequestRoleCannotChangeTheRowLevelSecurityOfATable(string table, string statement)
    {
        Assert.Contains(table, statement, StringComparison.Ordinal);
        await using var connection = await ConnectAsync(Actor.AdminOfOrg);

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, statement));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Theory]
    [InlineData("SET ROLE switchboard_owner")]
    [InlineData("SET ROLE switchboard_system")]
    [InlineData("SET SESSION AUTHORIZATION switchboard_owner")]
    [InlineData("SET SESSION AUTHORIZATION postgres")]
    public async Task RequestRoleCannotBecomeARoleThatPassesThePolicies(string statement)
    {
        await using var connection = await ConnectAsync(Actor.Customer);

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, statement));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    // For a role that cannot bypass policies, row_security = off does not mean "see everything":
    // any query that policies would filter fails instead.
    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task TurningRowSecurityOffMakesQueriesFailRatherThanSeeEverything(string table)
    {
        await using var connection = await ConnectAsync(Actor.Customer);
        await ExecuteAsync(connection, "SET row_security = off");

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, SelectAll(table)));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task RequestRoleCannotCreateObjectsInTheApplicationSchemas()
    {
        await using var connection = await ConnectAsync(Actor.AdminOfOrg);

        foreach (var schema in new[] { "public", "auth", "app" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, $"CREATE TABLE {schema}.intruder (id int)"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
    }

    [Fact]
    public async Task RequestRoleCannotReadTheMigrationHistory()
    {
        await using var connection = await ConnectAsync(Actor.AdminOfOrg);

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, """SELECT * FROM "__EFMigrationsHistory" """));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task SecurityDefinerHelpersPinAnEmptySearchPath()
    {
        await using var connection = await ConnectAsync(Actor.Nobody);
        await using var command = new NpgsqlCommand(
            """
            SELECT p.proname, coalesce('search_path=""' = ANY(p.proconfig), false)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'app' AND p.prosecdef
            """, connection);
        var helpers = new Dictionary<string, bool>();
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                helpers[reader.GetString(0)] = reader.GetBoolean(1);
            }
        }

        Assert.Contains("org_ids_with_role", helpers.Keys);
        Assert.All(helpers, h => Assert.True(h.Value, $"app.{h.Key} is SECURITY DEFINER without search_path = ''"));
    }

    // A view runs with its owner's rights unless it is a security_invoker view, which would let it
    // read past the caller's policies.
    [Fact]
    public async Task NoViewInTheApplicationSchemasRunsWithItsOwnersRights()
    {
        await using var connection = await ConnectAsync(Actor.Nobody);

        var views = await ScalarAsync<string>(connection,
            """
            SELECT coalesce(string_agg(n.nspname || '.' || c.relname, ', '), '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('v', 'm') AND n.nspname IN ('public', 'auth', 'app')
              AND NOT coalesce('security_invoker=true' = ANY(c.reloptions), false)
            """);

        Assert.Equal("", views);
    }

    // The trust boundary: the request role may name any principal, because the application is
    // what authenticates people and names them with set_config. Row-level security then guards
    // against queries that forget a filter, not against code that lies about who is asking.
    // What it does guarantee is that a name brings that user's rights and nothing more.
    [Fact]
    public async Task NamingAnotherUserGrantsExactlyThatUsersRightsAndNoMore()
    {
        var db = await fixture.ReadyAsync();
        var seed = db.Seed;
        await using var connection = await db.ConnectAsAsync(Actor.Customer, Ct);
        Assert.Equal([seed.CustomerSession], await SessionIdsAsync(connection));

        await RlsDatabase.SetPrincipalAsync(connection, seed.Agent.ToString(), "", Ct);

        Assert.Equal(new[] { seed.AnonymousSession, seed.CustomerSession }.Order(), (await SessionIdsAsync(connection)).Order());
        Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM escalation_rules"));
        await using var insert = new NpgsqlCommand(
            "INSERT INTO ai_knowledge_base (organization_id, title, content) VALUES (@org, 'T', 'C')", connection);
        insert.Parameters.AddWithValue("org", seed.Org);
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync(Ct));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task AMalformedPrincipalFailsTheQueryInsteadOfWideningIt()
    {
        var db = await fixture.ReadyAsync();
        await using var connection = await db.ConnectAsAsync(Actor.Nobody, Ct);
        await RlsDatabase.SetPrincipalAsync(connection, "' OR true --", "", Ct);

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, "SELECT * FROM chatbot_sessions"));

        Assert.Equal(PostgresErrorCodes.InvalidTextRepresentation, error.SqlState);
    }

    private async Task<NpgsqlConnection> ConnectAsync(Actor actor) => await (await fixture.ReadyAsync()).ConnectAsAsync(actor, Ct);

    private static async Task<List<Guid>> SessionIdsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT id FROM chatbot_sessions", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(Ct))
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    private static string SelectAll(string table) => table switch
    {
        Tables.Sessions => "SELECT * FROM chatbot_sessions",
        Tables.Messages => "SELECT * FROM chatbot_conversations",
        Tables.Knowledge => "SELECT * FROM ai_knowledge_base",
        Tables.Analytics => "SELECT * FROM agent_analytics",
        Tables.Rules => "SELECT * FROM escalation_rules",
        _ => throw new ArgumentOutOfRangeException(nameof(table)),
    };

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
