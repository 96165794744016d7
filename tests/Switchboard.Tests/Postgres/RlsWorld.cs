using Npgsql;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// Who is asking. "The org" is organization A; "another org" is B. Customers are not members of
/// any organization; the member, agent and admin of the org belong to A only.
/// </summary>
public enum Actor
{
    /// <summary>No user and no session token: a request that named nobody.</summary>
    Nobody,
    /// <summary>A widget visitor holding the token of the anonymous session in the org.</summary>
    Anonymous,
    /// <summary>A signed-in customer with a session in the org.</summary>
    Customer,
    /// <summary>A signed-in customer with a session in another org.</summary>
    AnotherCustomer,
    MemberOfOrg,
    AgentOfOrg,
    AgentOfAnotherOrg,
    AdminOfOrg,
    AdminOfAnotherOrg,
    /// <summary>Manages global knowledge; a member of no organization.</summary>
    PlatformAdmin,
}

public static class Tables
{
    public const string Sessions = "chatbot_sessions";
    public const string Messages = "chatbot_conversations";
    public const string Knowledge = "ai_knowledge_base";
    public const string Analytics = "agent_analytics";
    public const string Rules = "escalation_rules";

    public static readonly string[] All = [Sessions, Messages, Knowledge, Analytics, Rules];
}

/// <summary>The seeded rows that the matrix names, by the phrases that read well in a test name.</summary>
public static class Rows
{
    public const string AnonymousSession = "the anonymous session in the org";
    public const string CustomerSession = "the customer's session in the org";
    public const string OtherCustomerSession = "another customer's session in another org";

    public const string AnonymousMessages = "the messages of the anonymous session";
    public const string CustomerMessages = "the messages of the customer's session";
    public const string OtherCustomerMessages = "the messages of another customer's session";

    public const string OrgArticle = "the org's article";
    public const string OtherOrgArticle = "another org's article";
    public const string GlobalArticle = "a global article";

    public const string AgentAnalytics = "the agent's analytics";
    public const string AdminAnalytics = "the admin's analytics";
    public const string OtherAgentAnalytics = "another org's agent's analytics";

    public const string OrgRule = "the org's escalation rule";
    public const string OtherOrgRule = "another org's escalation rule";
}

/// <summary>Rows that an INSERT tries to create, again by phrase.</summary>
public static class NewRows
{
    public const string AnonymousSessionWithItsToken = "a new anonymous session with the token it presents";
    public const string SessionForCustomer = "a new session for the customer";
    public const string UserMessageInAnonymousSession = "a user message in the anonymous session";
    public const string UserMessageInCustomerSession = "a user message in the customer's session";
    public const string UserMessageInOtherCustomerSession = "a user message in another customer's session";
    public const string AiMessageInCustomerSession = "an AI message in the customer's session";
    public const string AgentReplyInCustomerSession = "an agent reply in the customer's session";
    public const string OrgArticle = "an article for the org";
    public const string OtherOrgArticle = "an article for another org";
    public const string GlobalArticle = "a global article";
    public const string AgentAnalytics = "analytics for the agent";
    public const string OrgRule = "an escalation rule for the org";
    public const string OtherOrgRule = "an escalation rule for another org";
}

/// <summary>
/// Two organizations with every kind of actor and at least one row of each table on each side,
/// written as the owner (whose switchboard_system membership is what lets trusted work through).
/// </summary>
public sealed class RlsSeed
{
    public Guid Org { get; } = Guid.NewGuid();
    public Guid OtherOrg { get; } = Guid.NewGuid();

    public Guid Customer { get; } = Guid.NewGuid();
    public Guid OtherCustomer { get; } = Guid.NewGuid();
    public Guid Member { get; } = Guid.NewGuid();
    public Guid Agent { get; } = Guid.NewGuid();
    public Guid OtherAgent { get; } = Guid.NewGuid();
    public Guid Admin { get; } = Guid.NewGuid();
    public Guid OtherAdmin { get; } = Guid.NewGuid();
    public Guid PlatformAdmin { get; } = Guid.NewGuid();

    public Guid AnonymousSession { get; } = Guid.NewGuid();
    public Guid CustomerSession { get; } = Guid.NewGuid();
    public Guid OtherCustomerSession { get; } = Guid.NewGuid();
    public string AnonymousToken { get; } = NewToken();
    public string CustomerToken { get; } = NewToken();
    public string OtherCustomerToken { get; } = NewToken();

    public Guid[] AnonymousMessages { get; } = [Guid.NewGuid(), Guid.NewGuid()];
    public Guid[] CustomerMessages { get; } = [Guid.NewGuid(), Guid.NewGuid()];
    public Guid[] OtherCustomerMessages { get; } = [Guid.NewGuid(), Guid.NewGuid()];

    public Guid OrgArticle { get; } = Guid.NewGuid();
    public Guid OtherOrgArticle { get; } = Guid.NewGuid();
    public Guid GlobalArticle { get; } = Guid.NewGuid();

    public Guid AgentAnalytics { get; } = Guid.NewGuid();
    public Guid AdminAnalytics { get; } = Guid.NewGuid();
    public Guid OtherAgentAnalytics { get; } = Guid.NewGuid();

    public Guid OrgRule { get; } = Guid.NewGuid();
    public Guid OtherOrgRule { get; } = Guid.NewGuid();

    public static string NewToken() => "st_test_" + Guid.NewGuid().ToString("N");

    public Guid? UserOf(Actor actor) => actor switch
    {
        Actor.Customer => Customer,
        Actor.AnotherCustomer => OtherCustomer,
        Actor.MemberOfOrg => Member,
        Actor.AgentOfOrg => Agent,
        Actor.AgentOfAnotherOrg => OtherAgent,
        Actor.AdminOfOrg => Admin,
        Actor.AdminOfAnotherOrg => OtherAdmin,
        Actor.PlatformAdmin => PlatformAdmin,
        _ => null,
    };

    public (string Table, Guid[] Ids) Resolve(string row) => row switch
    {
        Rows.AnonymousSession => (Tables.Sessions, [AnonymousSession]),
        Rows.CustomerSession => (Tables.Sessions, [CustomerSession]),
        Rows.OtherCustomerSession => (Tables.Sessions, [OtherCustomerSession]),
        Rows.AnonymousMessages => (Tables.Messages, AnonymousMessages),
        Rows.CustomerMessages => (Tables.Messages, CustomerMessages),
        Rows.OtherCustomerMessages => (Tables.Messages, OtherCustomerMessages),
        Rows.OrgArticle => (Tables.Knowledge, [OrgArticle]),
        Rows.OtherOrgArticle => (Tables.Knowledge, [OtherOrgArticle]),
        Rows.GlobalArticle => (Tables.Knowledge, [GlobalArticle]),
        Rows.AgentAnalytics => (Tables.Analytics, [AgentAnalytics]),
        Rows.AdminAnalytics => (Tables.Analytics, [AdminAnalytics]),
        Rows.OtherAgentAnalytics => (Tables.Analytics, [OtherAgentAnalytics]),
        Rows.OrgRule => (Tables.Rules, [OrgRule]),
        Rows.OtherOrgRule => (Tables.Rules, [OtherOrgRule]),
        _ => throw new ArgumentOutOfRangeException(nameof(row), row, "No such seeded row."),
    };

    /// <summary>The INSERT for <paramref name="newRow"/>; its parameters come from <see cref="AddParameters"/>.</summary>
    public static (string Table, string Sql) Insert(string newRow) => newRow switch
    {
        NewRows.AnonymousSessionWithItsToken => (Tables.Sessions,
            "INSERT INTO chatbot_sessions (organization_id, session_token) VALUES (@org, @new_token)"),
        NewRows.SessionForCustomer => (Tables.Sessions,
            "INSERT INTO chatbot_sessions (organization_id, user_id, session_token) VALUES (@org, @customer, @new_token)"),
        NewRows.UserMessageInAnonymousSession => (Tables.Messages,
            "INSERT INTO chatbot_conversations (session_id, message_type, content, seq) VALUES (@anonymous_session, 'user', 'Hello?', 100)"),
        NewRows.UserMessageInCustomerSession => (Tables.Messages,
            "INSERT INTO chatbot_conversations (session_id, message_type, content, seq) VALUES (@customer_session, 'user', 'Hello?', 100)"),
        NewRows.UserMessageInOtherCustomerSession => (Tables.Messages,
            "INSERT INTO chatbot_conversations (session_id, message_type, content, seq) VALUES (@other_customer_session, 'user', 'Hello?', 100)"),
        NewRows.AiMessageInCustomerSession => (Tables.Messages,
            "INSERT INTO chatbot_conversations (session_id, message_type, content, seq) VALUES (@customer_session, 'ai', 'Certainly.', 100)"),
        NewRows.AgentReplyInCustomerSession => (Tables.Messages,
            "INSERT INTO chatbot_conversations (session_id, message_type, content, agent_id, seq) VALUES (@customer_session, 'agent', 'On it.', @agent, 100)"),
        NewRows.OrgArticle => (Tables.Knowledge,
            "INSERT INTO ai_knowledge_base (organization_id, title, content) VALUES (@org, 'New', 'New article.')"),
        NewRows.OtherOrgArticle => (Tables.Knowledge,
            "INSERT INTO ai_knowledge_base (organization_id, title, content) VALUES (@other_org, 'New', 'New article.')"),
        NewRows.GlobalArticle => (Tables.Knowledge,
            "INSERT INTO ai_knowledge_base (organization_id, title, content) VALUES (NULL, 'New', 'New article.')"),
        NewRows.AgentAnalytics => (Tables.Analytics,
            "INSERT INTO agent_analytics (agent_id, organization_id, conversations_handled) VALUES (@agent, @org, 42)"),
        NewRows.OrgRule => (Tables.Rules,
            "INSERT INTO escalation_rules (organization_id, rule_name) VALUES (@org, 'New rule')"),
        NewRows.OtherOrgRule => (Tables.Rules,
            "INSERT INTO escalation_rules (organization_id, rule_name) VALUES (@other_org, 'New rule')"),
        _ => throw new ArgumentOutOfRangeException(nameof(newRow), newRow, "No such new row."),
    };

    /// <summary>Every id a statement in these tests may name, as parameters.</summary>
    public void AddParameters(NpgsqlCommand command, string? newToken = null)
    {
        command.Parameters.AddWithValue("org", Org);
        command.Parameters.AddWithValue("other_org", OtherOrg);
        command.Parameters.AddWithValue("customer", Customer);
        command.Parameters.AddWithValue("other_customer", OtherCustomer);
        command.Parameters.AddWithValue("agent", Agent);
        command.Parameters.AddWithValue("anonymous_session", AnonymousSession);
        command.Parameters.AddWithValue("customer_session", CustomerSession);
        command.Parameters.AddWithValue("other_customer_session", OtherCustomerSession);
        command.Parameters.AddWithValue("org_article", OrgArticle);
        command.Parameters.AddWithValue("global_article", GlobalArticle);
        command.Parameters.AddWithValue("org_rule", OrgRule);
        command.Parameters.AddWithValue("other_org_rule", OtherOrgRule);
        command.Parameters.AddWithValue("new_token", newToken ?? NewToken());
    }

    public async Task WriteAsync(NpgsqlConnection owner, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO organizations (id, name, slug, widget_key, identity_secret) VALUES
                (@org, 'The org', 'the-org', 'pk_the_org', 'secret-a'),
                (@other_org, 'Another org', 'another-org', 'pk_another_org', 'secret-b');
            INSERT INTO auth.users (id, display_name, is_platform_admin, email_confirmed, phone_number_confirmed,
                                    two_factor_enabled, lockout_enabled, access_failed_count) VALUES
                (@customer, 'Customer', false, true, false, false, false, 0),
                (@other_customer, 'Another customer', false, true, false, false, false, 0),
                (@member, 'Member', false, true, false, false, false, 0),
                (@agent, 'Agent', false, true, false, false, false, 0),
                (@other_agent, 'Agent of another org', false, true, false, false, false, 0),
                (@admin, 'Admin', false, true, false, false, false, 0),
                (@other_admin, 'Admin of another org', false, true, false, false, false, 0),
                (@platform_admin, 'Platform admin', true, true, false, false, false, 0);
            INSERT INTO organization_members (organization_id, user_id, role) VALUES
                (@org, @member, 'member'), (@org, @agent, 'agent'), (@org, @admin, 'admin'),
                (@other_org, @other_agent, 'agent'), (@other_org, @other_admin, 'admin');
            INSERT INTO chatbot_sessions (id, organization_id, user_id, session_token) VALUES
                (@anonymous_session, @org, NULL, @anonymous_token),
                (@customer_session, @org, @customer, @customer_token),
                (@other_customer_session, @other_org, @other_customer, @other_customer_token);
            INSERT INTO chatbot_conversations (id, session_id, message_type, content, seq) VALUES
                (@anonymous_message_1, @anonymous_session, 'user', 'Where is my parcel?', 1),
                (@anonymous_message_2, @anonymous_session, 'ai', 'It ships tomorrow.', 2),
                (@customer_message_1, @customer_session, 'user', 'Can I return boots?', 1),
                (@customer_message_2, @customer_session, 'ai', 'Within 30 days.', 2),
                (@other_customer_message_1, @other_customer_session, 'user', 'Invoice please.', 1),
                (@other_customer_message_2, @other_customer_session, 'ai', 'Sent by email.', 2);
            INSERT INTO ai_knowledge_base (id, organization_id, title, content) VALUES
                (@org_article, @org, 'Returns', 'Return within 30 days.'),
                (@other_org_article, @other_org, 'Invoices', 'Invoices are emailed.'),
                (@global_article, NULL, 'Cookies', 'We use cookies.');
            INSERT INTO agent_analytics (id, agent_id, organization_id, conversations_handled) VALUES
                (@agent_analytics, @agent, @org, 7),
                (@admin_analytics, @admin, @org, 3),
                (@other_agent_analytics, @other_agent, @other_org, 5);
            INSERT INTO escalation_rules (id, organization_id, rule_name, trigger_keywords) VALUES
                (@org_rule, @org, 'Refunds go to a person', '{refund}'),
                (@other_org_rule, @other_org, 'Invoices go to billing', '{invoice}');
            """, owner);
        var p = command.Parameters;
        p.AddWithValue("org", Org);
        p.AddWithValue("other_org", OtherOrg);
        p.AddWithValue("customer", Customer);
        p.AddWithValue("other_customer", OtherCustomer);
        p.AddWithValue("member", Member);
        p.AddWithValue("agent", Agent);
        p.AddWithValue("other_agent", OtherAgent);
        p.AddWithValue("admin", Admin);
        p.AddWithValue("other_admin", OtherAdmin);
        p.AddWithValue("platform_admin", PlatformAdmin);
        p.AddWithValue("anonymous_session", AnonymousSession);
        p.AddWithValue("customer_session", CustomerSession);
        p.AddWithValue("other_customer_session", OtherCustomerSession);
        p.AddWithValue("anonymous_token", AnonymousToken);
        p.AddWithValue("customer_token", CustomerToken);
        p.AddWithValue("other_customer_token", OtherCustomerToken);
        p.AddWithValue("anonymous_message_1", AnonymousMessages[0]);
        p.AddWithValue("anonymous_message_2", AnonymousMessages[1]);
        p.AddWithValue("customer_message_1", CustomerMessages[0]);
        p.AddWithValue("customer_message_2", CustomerMessages[1]);
        p.AddWithValue("other_customer_message_1", OtherCustomerMessages[0]);
        p.AddWithValue("other_customer_message_2", OtherCustomerMessages[1]);
        p.AddWithValue("org_article", OrgArticle);
        p.AddWithValue("other_org_article", OtherOrgArticle);
        p.AddWithValue("global_article", GlobalArticle);
        p.AddWithValue("agent_analytics", AgentAnalytics);
        p.AddWithValue("admin_analytics", AdminAnalytics);
        p.AddWithValue("other_agent_analytics", OtherAgentAnalytics);
        p.AddWithValue("org_rule", OrgRule);
        p.AddWithValue("other_org_rule", OtherOrgRule);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>
/// One migrated and seeded database per test class, created on first use so that a machine
/// without PostgreSQL skips the tests instead of failing the fixture.
/// </summary>
public sealed class RlsDatabase
{
    private readonly Lazy<Task<(PostgresServer, PostgresDatabase, RlsSeed)>> _state = new(CreateAsync);

    public PostgresServer Server { get; private set; } = null!;
    public PostgresDatabase Database { get; private set; } = null!;
    public RlsSeed Seed { get; private set; } = null!;

    public async Task<RlsDatabase> ReadyAsync()
    {
        await PostgresServer.RequireAsync();
        (Server, Database, Seed) = await _state.Value;
        return this;
    }

    /// <summary>
    /// A connection as the request role that names <paramref name="actor"/> the way the application
    /// does: session-level settings made right after the connection opens.
    /// </summary>
    public async Task<NpgsqlConnection> ConnectAsAsync(Actor actor, CancellationToken ct, string? anonymousToken = null)
    {
        var connection = new NpgsqlConnection(Database.RequestConnectionString);
        await connection.OpenAsync(ct);
        var token = actor == Actor.Anonymous ? anonymousToken ?? Seed.AnonymousToken : "";
        await SetPrincipalAsync(connection, Seed.UserOf(actor)?.ToString() ?? "", token, ct);
        return connection;
    }

    public static async Task SetPrincipalAsync(NpgsqlConnection connection, string userId, string sessionToken, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT set_config('app.user_id', @u, false), set_config('app.session_token', @t, false)", connection);
        command.Parameters.AddWithValue("u", userId);
        command.Parameters.AddWithValue("t", sessionToken);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<NpgsqlConnection> ConnectAsOwnerAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(Database.AdminConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task<(PostgresServer, PostgresDatabase, RlsSeed)> CreateAsync()
    {
        var server = await PostgresServer.RequireAsync();
        var database = await PostgresMigrations.CreateMigratedDatabaseAsync("rls");
        var seed = new RlsSeed();
        await using var owner = new NpgsqlConnection(database.AdminConnectionString);
        await owner.OpenAsync();
        await seed.WriteAsync(owner, CancellationToken.None);
        return (server, database, seed);
    }
}
