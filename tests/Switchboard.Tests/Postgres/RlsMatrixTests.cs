using System.Reflection;
using Npgsql;
using static Switchboard.Tests.Postgres.Actor;

namespace Switchboard.Tests.Postgres;

public enum Operation { Select, Insert, Update, Delete }

public enum Access { Can, Cannot }

/// <summary>
/// The seed's row-level-security rules as PostgreSQL enforces them on the request role, for every
/// actor, table and operation. Each line of <see cref="Rules"/> names a row and the actors allowed
/// to act on it; every actor not named is asserted to be refused. A refused SELECT, UPDATE or DELETE
/// is filtered silently (no rows); a refused INSERT is an error (SQLSTATE 42501).
/// Writes run in a transaction that is rolled back, so no test sees another's changes.
/// </summary>
public sealed class RlsMatrixTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private sealed record Rule(string Table, Operation Operation, string Row, Actor[] Allowed);

    private static readonly Rule[] Rules =
    [
        // table             operation          row                               who can
        // Users can manage their own sessions; agents (and admins) view their organization's.
        new(Tables.Sessions, Operation.Select, Rows.AnonymousSession,           [Anonymous, AgentOfOrg, AdminOfOrg]),
        new(Tables.Sessions, Operation.Select, Rows.CustomerSession,            [Customer, AgentOfOrg, AdminOfOrg]),
        new(Tables.Sessions, Operation.Select, Rows.OtherCustomerSession,       [AnotherCustomer, AgentOfAnotherOrg, AdminOfAnotherOrg]),
        new(Tables.Sessions, Operation.Insert, NewRows.AnonymousSessionWithItsToken, [Anonymous]),
        new(Tables.Sessions, Operation.Insert, NewRows.SessionForCustomer,      [Customer]),
        new(Tables.Sessions, Operation.Update, Rows.AnonymousSession,           [Anonymous]),
        new(Tables.Sessions, Operation.Update, Rows.CustomerSession,            [Customer]),
        new(Tables.Sessions, Operation.Update, Rows.OtherCustomerSession,       [AnotherCustomer]),
        new(Tables.Sessions, Operation.Delete, Rows.AnonymousSession,           [Anonymous]),
        new(Tables.Sessions, Operation.Delete, Rows.CustomerSession,            [Customer]),
        new(Tables.Sessions, Operation.Delete, Rows.OtherCustomerSession,       [AnotherCustomer]),

        // Users view their own conversation history and add their own messages; agents view their organization's.
        new(Tables.Messages, Operation.Select, Rows.AnonymousMessages,          [Anonymous, AgentOfOrg, AdminOfOrg]),
        new(Tables.Messages, Operation.Select, Rows.CustomerMessages,           [Customer, AgentOfOrg, AdminOfOrg]),
        new(Tables.Messages, Operation.Select, Rows.OtherCustomerMessages,      [AnotherCustomer, AgentOfAnotherOrg, AdminOfAnotherOrg]),
        new(Tables.Messages, Operation.Insert, NewRows.UserMessageInAnonymousSession,     [Anonymous]),
        new(Tables.Messages, Operation.Insert, NewRows.UserMessageInCustomerSession,      [Customer]),
        new(Tables.Messages, Operation.Insert, NewRows.UserMessageInOtherCustomerSession, [AnotherCustomer]),
        new(Tables.Messages, Operation.Insert, NewRows.AiMessageInCustomerSession,        []),
        new(Tables.Messages, Operation.Insert, NewRows.AgentReplyInCustomerSession,       []),
        new(Tables.Messages, Operation.Update, Rows.AnonymousMessages,          []),
        new(Tables.Messages, Operation.Update, Rows.CustomerMessages,           []),
        new(Tables.Messages, Operation.Update, Rows.OtherCustomerMessages,      []),
        new(Tables.Messages, Operation.Delete, Rows.AnonymousMessages,          []),
        new(Tables.Messages, Operation.Delete, Rows.CustomerMessages,           []),
        new(Tables.Messages, Operation.Delete, Rows.OtherCustomerMessages,      []),

        // Global knowledge readable by all, organization knowledge by its members; only admins write
        // (organization admins their organization's rows, platform admins the global ones).
        new(Tables.Knowledge, Operation.Select, Rows.OrgArticle,                [MemberOfOrg, AgentOfOrg, AdminOfOrg]),
        new(Tables.Knowledge, Operation.Select, Rows.OtherOrgArticle,           [AgentOfAnotherOrg, AdminOfAnotherOrg]),
        new(Tables.Knowledge, Operation.Select, Rows.GlobalArticle,             Enum.GetValues<Actor>()),
        new(Tables.Knowledge, Operation.Insert, NewRows.OrgArticle,             [AdminOfOrg]),
        new(Tables.Knowledge, Operation.Insert, NewRows.OtherOrgArticle,        [AdminOfAnotherOrg]),
        new(Tables.Knowledge, Operation.Insert, NewRows.GlobalArticle,          [PlatformAdmin]),
        new(Tables.Knowledge, Operation.Update, Rows.OrgArticle,                [AdminOfOrg]),
        new(Tables.Knowledge, Operation.Update, Rows.OtherOrgArticle,           [AdminOfAnotherOrg]),
        new(Tables.Knowledge, Operation.Update, Rows.GlobalArticle,             [PlatformAdmin]),
        new(Tables.Knowledge, Operation.Delete, Rows.OrgArticle,                [AdminOfOrg]),
        new(Tables.Knowledge, Operation.Delete, Rows.OtherOrgArticle,           [AdminOfAnotherOrg]),
        new(Tables.Knowledge, Operation.Delete, Rows.GlobalArticle,             [PlatformAdmin]),

        // Agents view their own analytics, admins their organization's; nobody writes on the request path.
        new(Tables.Analytics, Operation.Select, Rows.AgentAnalytics,            [AgentOfOrg, AdminOfOrg]),
        new(Tables.Analytics, Operation.Select, Rows.AdminAnalytics,            [AdminOfOrg]),
        new(Tables.Analytics, Operation.Select, Rows.OtherAgentAnalytics,       [AgentOfAnotherOrg, AdminOfAnotherOrg]),
        new(Tables.Analytics, Operation.Insert, NewRows.AgentAnalytics,         []),
        new(Tables.Analytics, Operation.Update, Rows.AgentAnalytics,            []),
        new(Tables.Analytics, Operation.Update, Rows.AdminAnalytics,            []),
        new(Tables.Analytics, Operation.Update, Rows.OtherAgentAnalytics,       []),
        new(Tables.Analytics, Operation.Delete, Rows.AgentAnalytics,            []),
        new(Tables.Analytics, Operation.Delete, Rows.AdminAnalytics,            []),
        new(Tables.Analytics, Operation.Delete, Rows.OtherAgentAnalytics,       []),

        // Only organization admins manage escalation rules.
        new(Tables.Rules, Operation.Select, Rows.OrgRule,                       [AdminOfOrg]),
        new(Tables.Rules, Operation.Select, Rows.OtherOrgRule,                  [AdminOfAnotherOrg]),
        new(Tables.Rules, Operation.Insert, NewRows.OrgRule,                    [AdminOfOrg]),
        new(Tables.Rules, Operation.Insert, NewRows.OtherOrgRule,               [AdminOfAnotherOrg]),
        new(Tables.Rules, Operation.Update, Rows.OrgRule,                       [AdminOfOrg]),
        new(Tables.Rules, Operation.Update, Rows.OtherOrgRule,                  [AdminOfAnotherOrg]),
        new(Tables.Rules, Operation.Delete, Rows.OrgRule,                       [AdminOfOrg]),
        new(Tables.Rules, Operation.Delete, Rows.OtherOrgRule,                  [AdminOfAnotherOrg]),
    ];

    /// <summary>Writes to rows the actor can see, which the WITH CHECK clauses must refuse (42501).</summary>
    private static readonly Dictionary<string, (Actor Actor, string Sql)> ForbiddenWrites = new()
    {
        ["give its session to another customer"] =
            (Customer, "UPDATE chatbot_sessions SET user_id = @other_customer WHERE id = @customer_session"),
        ["claim its anonymous session for the customer"] =
            (Anonymous, "UPDATE chatbot_sessions SET user_id = @customer WHERE id = @anonymous_session"),
        ["swap the token of its anonymous session for another"] =
            (Anonymous, "UPDATE chatbot_sessions SET session_token = @new_token WHERE id = @anonymous_session"),
        ["move its session to another org"] =
            (Customer, "UPDATE chatbot_sessions SET organization_id = @other_org WHERE id = @customer_session"),
        ["move its anonymous session to another org"] =
            (Anonymous, "UPDATE chatbot_sessions SET organization_id = @other_org WHERE id = @anonymous_session"),
        ["start a session that belongs to another customer"] =
            (Customer, "INSERT INTO chatbot_sessions (organization_id, user_id, session_token) VALUES (@org, @other_customer, @new_token)"),
        ["post a user message signed with an agent's id"] =
            (Customer, "INSERT INTO chatbot_conversations (session_id, message_type, content, agent_id, seq) VALUES (@customer_session, 'user', 'Hi', @agent, 100)"),
        ["move the org's article to another org"] =
            (AdminOfOrg, "UPDATE ai_knowledge_base SET organization_id = @other_org WHERE id = @org_article"),
        ["make the org's article global"] =
            (AdminOfOrg, "UPDATE ai_knowledge_base SET organization_id = NULL WHERE id = @org_article"),
        ["move a global article into the org"] =
            (PlatformAdmin, "UPDATE ai_knowledge_base SET organization_id = @org WHERE id = @global_article"),
        ["move the org's escalation rule to another org"] =
            (AdminOfOrg, "UPDATE escalation_rules SET organization_id = @other_org WHERE id = @org_rule"),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static IEnumerable<TheoryDataRow<Actor, string, Operation, string, Access>> Matrix(Operation operation) =>
        from rule in Rules
        where rule.Operation == operation
        from actor in Enum.GetValues<Actor>()
        let access = rule.Allowed.Contains(actor) ? Access.Can : Access.Cannot
        select new TheoryDataRow<Actor, string, Operation, string, Access>(actor, rule.Table, operation, rule.Row, access)
        {
            TestDisplayName = $"{actor} {access.ToString().ToLowerInvariant()} {Verb(operation)} {rule.Row} ",
        };

    public static IEnumerable<TheoryDataRow<string>> ForbiddenWriteNames() =>
        ForbiddenWrites.Select(w => new TheoryDataRow<string>(w.Key) { TestDisplayName = $"{w.Value.Actor} cannot {w.Key} " });

    [Theory]
    [MemberData(nameof(Matrix), Operation.Select)]
    public async Task EachActorReadsExactlyTheRowsTheSeedRulesAllow(Actor actor, string table, Operation operation, string row, Access expected)
    {
        Assert.Equal(Operation.Select, operation);
        var db = await fixture.ReadyAsync();
        var ids = Ids(db, table, row);
        await using var connection = await db.ConnectAsAsync(actor, Ct);
        await using var command = new NpgsqlCommand(SelectSql[table], connection);
        command.Parameters.AddWithValue("ids", ids);

        var visible = (long)(await command.ExecuteScalarAsync(Ct))!;

        Assert.Equal(expected == Access.Can ? ids.Length : 0, visible);
    }

    [Theory]
    [MemberData(nameof(Matrix), Operation.Insert)]
    public async Task EachActorInsertsOnlyWhatTheSeedRulesAllow(Actor actor, string table, Operation operation, string row, Access expected)
    {
        Assert.Equal(Operation.Insert, operation);
        var db = await fixture.ReadyAsync();
        var (insertTable, sql) = RlsSeed.Insert(row);
        Assert.Equal(table, insertTable);
        // A widget visitor starting a session presents the token it was just given.
        var newToken = RlsSeed.NewToken();
        var anonymousToken = row == NewRows.AnonymousSessionWithItsToken ? newToken : null;
        await using var connection = await db.ConnectAsAsync(actor, Ct, anonymousToken);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        db.Seed.AddParameters(command, newToken);

        if (expected == Access.Can)
        {
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }
        else
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Ct));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
        await transaction.RollbackAsync(Ct);
    }

    [Theory]
    [MemberData(nameof(Matrix), Operation.Update)]
    public async Task EachActorUpdatesOnlyTheRowsTheSeedRulesAllow(Actor actor, string table, Operation operation, string row, Access expected)
    {
        Assert.Equal(Operation.Update, operation);
        var db = await fixture.ReadyAsync();
        var ids = Ids(db, table, row);
        await using var connection = await db.ConnectAsAsync(actor, Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using var command = new NpgsqlCommand(UpdateSql[table], connection, transaction);
        command.Parameters.AddWithValue("ids", ids);

        var affected = await command.ExecuteNonQueryAsync(Ct);

        await transaction.RollbackAsync(Ct);
        Assert.Equal(expected == Access.Can ? ids.Length : 0, affected);
    }

    [Theory]
    [MemberData(nameof(Matrix), Operation.Delete)]
    public async Task EachActorDeletesOnlyTheRowsTheSeedRulesAllow(Actor actor, string table, Operation operation, string row, Access expected)
    {
        Assert.Equal(Operation.Delete, operation);
        var db = await fixture.ReadyAsync();
        if (table == Tables.Sessions)
        {
            await DeleteSessionAsync(db, actor, row, expected);
            return;
        }
        var ids = Ids(db, table, row);
        await using var connection = await db.ConnectAsAsync(actor, Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using var command = new NpgsqlCommand(DeleteSql[table], connection, transaction);
        command.Parameters.AddWithValue("ids", ids);

        var affected = await command.ExecuteNonQueryAsync(Ct);

        await transaction.RollbackAsync(Ct);
        Assert.Equal(expected == Access.Can ? ids.Length : 0, affected);
    }

    [Theory]
    [MemberData(nameof(ForbiddenWriteNames))]
    public async Task WritesThatTheWithCheckClausesForbidAreRejected(string write)
    {
        var db = await fixture.ReadyAsync();
        var (actor, sql) = ForbiddenWrites[write];
        await using var connection = await db.ConnectAsAsync(actor, Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        db.Seed.AddParameters(command);

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Ct));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public void TheMatrixHasOneRuleForEverySeededRowAndOperation()
    {
        string[] Phrases(Type type) =>
            [.. type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!)];

        foreach (var operation in new[] { Operation.Select, Operation.Update, Operation.Delete })
        {
            Assert.Equal(Phrases(typeof(Rows)).Order(), Rules.Where(r => r.Operation == operation).Select(r => r.Row).Order());
        }
        Assert.Equal(Phrases(typeof(NewRows)).Order(), Rules.Where(r => r.Operation == Operation.Insert).Select(r => r.Row).Order());
        Assert.All(Rules, r => Assert.Equal(r.Table, r.Operation == Operation.Insert ? RlsSeed.Insert(r.Row).Table : new RlsSeed().Resolve(r.Row).Table));
    }

    // Sessions with messages cannot be deleted (the foreign key), so each delete gets its own
    // empty sessions, shaped like the seeded ones; the visitor holds the new anonymous one's token.
    private static async Task DeleteSessionAsync(RlsDatabase db, Actor actor, string row, Access expected)
    {
        var seed = db.Seed;
        var anonymousToken = RlsSeed.NewToken();
        var sessions = new Dictionary<string, (Guid Id, Guid Org, Guid? User, string Token)>
        {
            [Rows.AnonymousSession] = (Guid.NewGuid(), seed.Org, null, anonymousToken),
            [Rows.CustomerSession] = (Guid.NewGuid(), seed.Org, seed.Customer, RlsSeed.NewToken()),
            [Rows.OtherCustomerSession] = (Guid.NewGuid(), seed.OtherOrg, seed.OtherCustomer, RlsSeed.NewToken()),
        };
        await using var owner = await db.ConnectAsOwnerAsync(Ct);
        foreach (var s in sessions.Values)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO chatbot_sessions (id, organization_id, user_id, session_token) VALUES (@id, @org, @user, @token)", owner);
            insert.Parameters.AddWithValue("id", s.Id);
            insert.Parameters.AddWithValue("org", s.Org);
            insert.Parameters.AddWithValue("user", (object?)s.User ?? DBNull.Value);
            insert.Parameters.AddWithValue("token", s.Token);
            await insert.ExecuteNonQueryAsync(Ct);
        }
        try
        {
            await using var connection = await db.ConnectAsAsync(actor, Ct, anonymousToken);
            await using var transaction = await connection.BeginTransactionAsync(Ct);
            await using var command = new NpgsqlCommand("DELETE FROM chatbot_sessions WHERE id = @id", connection, transaction);
            command.Parameters.AddWithValue("id", sessions[row].Id);

            var affected = await command.ExecuteNonQueryAsync(Ct);

            await transaction.RollbackAsync(Ct);
            Assert.Equal(expected == Access.Can ? 1 : 0, affected);
        }
        finally
        {
            await using var cleanup = new NpgsqlCommand("DELETE FROM chatbot_sessions WHERE id = ANY(@ids)", owner);
            cleanup.Parameters.AddWithValue("ids", sessions.Values.Select(s => s.Id).ToArray());
            await cleanup.ExecuteNonQueryAsync(Ct);
        }
    }

    private static Guid[] Ids(RlsDatabase db, string table, string row)
    {
        var (rowTable, ids) = db.Seed.Resolve(row);
        Assert.Equal(table, rowTable);
        return ids;
    }

    private static string Verb(Operation operation) => operation switch
    {
        Operation.Select => "read",
        Operation.Insert => "insert",
        Operation.Update => "update",
        _ => "delete",
    };

    private static readonly Dictionary<string, string> SelectSql = Tables.All.ToDictionary(t => t, t => t switch
    {
        Tables.Sessions => "SELECT count(*) FROM chatbot_sessions WHERE id = ANY(@ids)",
        Tables.Messages => "SELECT count(*) FROM chatbot_conversations WHERE id = ANY(@ids)",
        Tables.Knowledge => "SELECT count(*) FROM ai_knowledge_base WHERE id = ANY(@ids)",
        Tables.Analytics => "SELECT count(*) FROM agent_analytics WHERE id = ANY(@ids)",
        _ => "SELECT count(*) FROM escalation_rules WHERE id = ANY(@ids)",
    });

    // Each changes a column the owner of the row may legitimately change.
    private static readonly Dictionary<string, string> UpdateSql = Tables.All.ToDictionary(t => t, t => t switch
    {
        Tables.Sessions => "UPDATE chatbot_sessions SET status = 'resolved', updated_at = now() WHERE id = ANY(@ids)",
        Tables.Messages => "UPDATE chatbot_conversations SET content = 'edited' WHERE id = ANY(@ids)",
        Tables.Knowledge => "UPDATE ai_knowledge_base SET title = title || ' (edited)', updated_at = now() WHERE id = ANY(@ids)",
        Tables.Analytics => "UPDATE agent_analytics SET conversations_handled = conversations_handled + 1 WHERE id = ANY(@ids)",
        _ => "UPDATE escalation_rules SET priority_level = 5, updated_at = now() WHERE id = ANY(@ids)",
    });

    private static readonly Dictionary<string, string> DeleteSql = Tables.All.ToDictionary(t => t, t => t switch
    {
        Tables.Messages => "DELETE FROM chatbot_conversations WHERE id = ANY(@ids)",
        Tables.Knowledge => "DELETE FROM ai_knowledge_base WHERE id = ANY(@ids)",
        Tables.Analytics => "DELETE FROM agent_analytics WHERE id = ANY(@ids)",
        Tables.Rules => "DELETE FROM escalation_rules WHERE id = ANY(@ids)",
        _ => "",
    });
}
