using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Accounts;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Escalation;

/// <summary>
/// Assignment of escalated conversations through the real server and database: each strategy, availability,
/// capacity under racing escalations, the queue's order, manual reassignment, and release on resolve/hand back.
/// Every test builds its own organization and agents.
/// </summary>
public abstract class AssignmentTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SwitchboardFactory Factory => fixture.Factory;

    private sealed record Desk(Organization Org, Dictionary<string, (Guid Id, HttpClient Client)> Agents, HttpClient Admin, Guid AdminId);

    private async Task<Desk> DeskAsync(params (string Name, string Availability, int Max, string[] Skills)[] agents)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Desk " + suffix, Slug = "desk-" + suffix };
        await using (var db = Factory.SystemContext())
        {
            db.Organizations.Add(org);
            await db.SaveChangesAsync();
        }
        var created = new Dictionary<string, (Guid Id, HttpClient Client)>();
        Guid adminId;
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var manager = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            await using var db = Factory.SystemContext();
            foreach (var agent in agents)
            {
                var (user, _) = await UserAccounts.CreateAsync(manager, $"{agent.Name}-{suffix}@example.test", agent.Name, TestWorld.Password, false);
                db.OrganizationMembers.Add(new OrganizationMember
                {
                    OrganizationId = org.Id, UserId = user!.Id, Role = OrgRoles.Agent, Availability = agent.Availability,
                    MaxConcurrent = agent.Max, Skills = [.. agent.Skills],
                });
                created[agent.Name] = (user.Id, null!);
            }
            var (admin, _) = await UserAccounts.CreateAsync(manager, $"admin-{suffix}@example.test", "Admin " + suffix, TestWorld.Password, false);
            adminId = admin!.Id;
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = admin.Id, Role = OrgRoles.Admin, MaxConcurrent = 0 });
            await db.SaveChangesAsync();
        }
        foreach (var name in created.Keys.ToList())
        {
            created[name] = (created[name].Id, await Factory.ClientForAsync($"{name}-{suffix}@example.test", TestWorld.Password));
        }
        return new Desk(org, created, await Factory.ClientForAsync($"admin-{suffix}@example.test", TestWorld.Password), adminId);
    }

    private async Task<(Guid SessionId, string Token)> SessionAsync(Organization org)
    {
        // Straight into the database: the widget's session-start rate limit is not under test here.
        var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken() };
        await using var db = Factory.SystemContext();
        db.Sessions.Add(session);
        await db.SaveChangesAsync(Ct);
        return (session.Id, session.SessionToken);
    }

    private async Task<EscalateResult> EscalateAsync(Guid sessionId, int priority, object? logic = null)
    {
        var escalations = Factory.Services.GetRequiredService<Escalations>();
        return await escalations.EscalateAsync(sessionId,
            new EscalationRequest(null, "Test rule", "test", priority, JsonSerializer.Serialize(logic ?? new { }), EscalationTriggers.Rule), CancellationToken.None);
    }

    private async Task<SessionEscalation> OpenEscalationAsync(Guid sessionId)
    {
        await using var db = Factory.SystemContext();
        return await db.Escalations.AsNoTracking().SingleAsync(e => e.SessionId == sessionId && e.EndedAt == null);
    }

    private async Task<Dictionary<Guid, int>> ActiveCountsAsync(Organization org)
    {
        await using var db = Factory.SystemContext();
        return await db.OrganizationMembers.AsNoTracking().Where(m => m.OrganizationId == org.Id).ToDictionaryAsync(m => m.UserId, m => m.ActiveConversations);
    }

    private async Task<Dictionary<Guid, int>> HeldAsync(Organization org)
    {
        await using var db = Factory.SystemContext();
        return (await db.Escalations.AsNoTracking().Where(e => e.OrganizationId == org.Id && e.EndedAt == null && e.AssignedAgentId != null)
            .Select(e => e.AssignedAgentId!.Value).ToListAsync()).GroupBy(a => a).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Waits (bounded) for the background queue drainer to reach a state.</summary>
    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"Timed out waiting until {what}.");
    }

    [Fact]
    public async Task Round_robin_gives_each_escalation_to_the_agent_who_waited_longest()
    {
        var desk = await DeskAsync(("ann", "online", 5, []), ("bob", "online", 5, []), ("cid", "online", 5, []));
        var assigned = new List<Guid?>();
        for (var i = 0; i < 6; i++)
        {
            var (session, _) = await SessionAsync(desk.Org);
            assigned.Add((await EscalateAsync(session, 3, new { strategy = "round_robin" })).Assignment!.AgentId);
        }
        var counts = assigned.GroupBy(a => a).ToDictionary(g => g.Key!.Value, g => g.Count());
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.Equal(2, c));
        Assert.Equal(assigned.Take(3), assigned.Skip(3)); // the same rotation twice
    }

    [Fact]
    public async Task Least_busy_picks_the_agent_with_fewest_open_conversations()
    {
        var desk = await DeskAsync(("ann", "online", 5, []), ("bob", "online", 5, []));
        var ann = desk.Agents["ann"].Id;
        var bob = desk.Agents["bob"].Id;
        for (var i = 0; i < 2; i++)
        {
            var (session, _) = await SessionAsync(desk.Org);
            var response = await desk.Admin.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/assign", new { agentId = ann }, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var (next, _) = await SessionAsync(desk.Org);
        Assert.Equal(bob, (await EscalateAsync(next, 3, new { strategy = "least_busy" })).Assignment!.AgentId);
        var (another, _) = await SessionAsync(desk.Org);
        Assert.Equal(bob, (await EscalateAsync(another, 3, new { strategy = "least_busy" })).Assignment!.AgentId);
        Assert.Equal(2, (await ActiveCountsAsync(desk.Org))[bob]);
    }

    [Fact]
    public async Task Skills_strategy_assigns_only_agents_with_every_required_skill()
    {
        var desk = await DeskAsync(("ann", "online", 5, ["billing"]), ("bob", "online", 5, ["billing", "French"]));
        var (session, _) = await SessionAsync(desk.Org);
        var result = await EscalateAsync(session, 3, new { strategy = "skills", required_skills = new[] { "french", "billing" } });
        Assert.Equal(desk.Agents["bob"].Id, result.Assignment!.AgentId);

        var (german, _) = await SessionAsync(desk.Org);
        var queued = await EscalateAsync(german, 3, new { strategy = "skills", required_skills = new[] { "german" } });
        Assert.Equal(AssignStatus.Queued, queued.Assignment!.Status);

        var (anyone, _) = await SessionAsync(desk.Org);
        var fallback = await EscalateAsync(anyone, 3, new { strategy = "skills", required_skills = new[] { "german" }, fallback = "any_agent" });
        Assert.Equal(AssignStatus.Assigned, fallback.Assignment!.Status);
        Assert.Equal(desk.Agents["ann"].Id, fallback.Assignment.AgentId); // the least busy of everyone
    }

    [Fact]
    public async Task Specific_agents_strategy_never_assigns_anyone_else()
    {
        var desk = await DeskAsync(("ann", "online", 5, []), ("bob", "online", 1, []));
        var bob = desk.Agents["bob"].Id;
        var (first, _) = await SessionAsync(desk.Org);
        Assert.Equal(bob, (await EscalateAsync(first, 3, new { strategy = "specific_agents", agent_ids = new[] { bob } })).Assignment!.AgentId);
        var (second, _) = await SessionAsync(desk.Org);
        Assert.Equal(AssignStatus.Queued, (await EscalateAsync(second, 3, new { strategy = "specific_agents", agent_ids = new[] { bob } })).Assignment!.Status);
        Assert.Null((await OpenEscalationAsync(second)).AssignedAgentId);
    }

    [Fact]
    public async Task A_rules_max_concurrent_caps_agents_below_their_own_capacity()
    {
        var desk = await DeskAsync(("ann", "online", 5, []));
        var statuses = new List<AssignStatus>();
        for (var i = 0; i < 3; i++)
        {
            var (session, _) = await SessionAsync(desk.Org);
            statuses.Add((await EscalateAsync(session, 3, new { strategy = "least_busy", max_concurrent = 2 })).Assignment!.Status);
        }
        Assert.Equal([AssignStatus.Assigned, AssignStatus.Assigned, AssignStatus.Queued], statuses);
    }

    [Fact]
    public async Task Offline_and_away_agents_get_nothing_until_one_comes_online()
    {
        var desk = await DeskAsync(("ann", "offline", 2, []), ("bob", "away", 2, []));
        var (session, _) = await SessionAsync(desk.Org);
        Assert.Equal(AssignStatus.Queued, (await EscalateAsync(session, 3)).Assignment!.Status);

        var online = await desk.Agents["ann"].Client.PutAsJsonAsync($"/api/orgs/{desk.Org.Id}/agents/me/availability", new { availability = "online" }, Ct);
        Assert.Equal(HttpStatusCode.OK, online.StatusCode);
        await Eventually(async () => (await OpenEscalationAsync(session)).AssignedAgentId == desk.Agents["ann"].Id, "the queue gives the session to the agent who came online");
        Assert.Equal(1, (await ActiveCountsAsync(desk.Org))[desk.Agents["ann"].Id]);
    }

    [Fact]
    public async Task Fifty_racing_escalations_never_put_an_agent_over_capacity()
    {
        var desk = await DeskAsync(("ann", "online", 2, []), ("bob", "online", 3, []), ("cid", "online", 1, []));
        var sessions = new List<string>();
        for (var i = 0; i < 50; i++) sessions.Add((await SessionAsync(desk.Org)).Token);

        // Parallel requests through the widget API, as fifty customers pressing "Talk to a person" at once.
        var customers = Enumerable.Range(0, 8).Select(_ => Factory.CreateClient()).ToArray();
        var responses = await Task.WhenAll(sessions.Select((token, i) =>
            customers[i % customers.Length].PostAsJsonAsync($"/api/widget/sessions/{token}/escalate", new { })));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var held = await HeldAsync(desk.Org);
        var counts = await ActiveCountsAsync(desk.Org);
        Assert.True(held.GetValueOrDefault(desk.Agents["ann"].Id) <= 2);
        Assert.True(held.GetValueOrDefault(desk.Agents["bob"].Id) <= 3);
        Assert.True(held.GetValueOrDefault(desk.Agents["cid"].Id) <= 1);
        Assert.Equal(6, held.Values.Sum()); // every seat filled, none twice
        foreach (var (agent, count) in held) Assert.Equal(count, counts[agent]);

        await using var db = Factory.SystemContext();
        var open = await db.Escalations.AsNoTracking().Where(e => e.OrganizationId == desk.Org.Id && e.EndedAt == null).ToListAsync(Ct);
        Assert.Equal(50, open.Count);
        Assert.Equal(50, open.Select(e => e.SessionId).Distinct().Count());
        Assert.Equal(6, await db.Assignments.CountAsync(a => a.OrganizationId == desk.Org.Id, Ct));
    }

    /// <summary>A second server on the same database: another node.</summary>
    protected abstract SwitchboardFactory SecondNode(TFactory first);

    [Fact]
    public async Task Escalations_racing_on_two_nodes_never_put_an_agent_over_capacity()
    {
        var desk = await DeskAsync(("ann", "online", 2, []), ("bob", "online", 2, []));
        var sessions = new List<string>();
        for (var i = 0; i < 40; i++) sessions.Add((await SessionAsync(desk.Org)).Token);
        await using var other = SecondNode(fixture.Factory);
        await ((IAsyncLifetime)other).InitializeAsync();
        HttpClient[] nodes = [Factory.CreateClient(), other.CreateClient()];

        var responses = await Task.WhenAll(sessions.Select((token, i) =>
            nodes[i % 2].PostAsJsonAsync($"/api/widget/sessions/{token}/escalate", new { }, Ct)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var held = await HeldAsync(desk.Org);
        Assert.Equal(2, held.GetValueOrDefault(desk.Agents["ann"].Id));
        Assert.Equal(2, held.GetValueOrDefault(desk.Agents["bob"].Id));
        var counts = await ActiveCountsAsync(desk.Org);
        foreach (var (agent, count) in held) Assert.Equal(count, counts[agent]);
    }

    [Fact]
    public async Task The_queue_drains_by_priority_then_age_as_capacity_frees()
    {
        var desk = await DeskAsync(("ann", "offline", 1, []));
        var order = new List<(Guid Session, int Priority)>();
        foreach (var priority in new[] { 1, 5, 3, 5 })
        {
            var (session, _) = await SessionAsync(desk.Org);
            await EscalateAsync(session, priority);
            order.Add((session, priority));
        }
        var expected = new[] { order[1].Session, order[3].Session, order[2].Session, order[0].Session }; // 5 (older), 5, 3, 1
        var ann = desk.Agents["ann"];

        var inbox = await ann.Client.GetFromJsonAsync<List<InboxItem>>($"/api/orgs/{desk.Org.Id}/inbox?view=queue", Ct);
        Assert.Equal(expected, inbox!.Select(i => i.SessionId));

        Assert.Equal(HttpStatusCode.OK, (await ann.Client.PutAsJsonAsync($"/api/orgs/{desk.Org.Id}/agents/me/availability", new { availability = "online" }, Ct)).StatusCode);
        foreach (var session in expected)
        {
            await Eventually(async () => (await OpenEscalationAsync(session)).AssignedAgentId == ann.Id, $"session {session} reaches the agent");
            Assert.Equal(1, (await HeldAsync(desk.Org)).Values.Sum());
            Assert.Equal(HttpStatusCode.OK, (await ann.Client.PostAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/resolve", null, Ct)).StatusCode);
        }
        Assert.Equal(0, (await ActiveCountsAsync(desk.Org))[ann.Id]);
    }

    [Fact]
    public async Task Admins_reassign_by_hand_and_agents_may_not()
    {
        var desk = await DeskAsync(("ann", "online", 2, []), ("bob", "online", 1, []), ("cid", "online", 0, []));
        var (session, _) = await SessionAsync(desk.Org);
        Assert.Equal(desk.Agents["ann"].Id, (await EscalateAsync(session, 3, new { strategy = "specific_agents", agent_ids = new[] { desk.Agents["ann"].Id } })).Assignment!.AgentId);

        var byAgent = await desk.Agents["ann"].Client.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/assign", new { agentId = desk.Agents["bob"].Id }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        var full = await desk.Admin.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/assign", new { agentId = desk.Agents["cid"].Id }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, full.StatusCode);
        Assert.Equal("agentId", (await full.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("field").GetString());

        var moved = await desk.Admin.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/assign", new { agentId = desk.Agents["bob"].Id }, Ct);
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var counts = await ActiveCountsAsync(desk.Org);
        Assert.Equal(0, counts[desk.Agents["ann"].Id]);
        Assert.Equal(1, counts[desk.Agents["bob"].Id]);

        var history = await desk.Admin.GetFromJsonAsync<List<EscalationRecord>>($"/api/orgs/{desk.Org.Id}/sessions/{session}/escalations", Ct);
        var turns = Assert.Single(history!).Assignments;
        Assert.Equal([desk.Agents["ann"].Id, desk.Agents["bob"].Id], turns.Select(t => t.AgentId));
        Assert.Equal("reassigned", turns[0].ReleaseReason);
        Assert.Equal(AssignmentHow.Manual, turns[1].How);
    }

    [Fact]
    public async Task An_agent_takes_a_queued_conversation_replies_and_hands_it_back_to_the_ai()
    {
        var desk = await DeskAsync(("ann", "away", 1, []));
        var (session, token) = await SessionAsync(desk.Org);
        var customer = Factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await customer.PostAsJsonAsync($"/api/widget/sessions/{token}/escalate", new { }, Ct)).StatusCode);
        var ann = desk.Agents["ann"];

        var queue = await ann.Client.GetFromJsonAsync<List<InboxItem>>($"/api/orgs/{desk.Org.Id}/inbox?view=queue", Ct);
        Assert.Contains(queue!, i => i.SessionId == session);
        var take = await ann.Client.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/assign", new { }, Ct);
        Assert.Equal(HttpStatusCode.OK, take.StatusCode);
        var mine = await ann.Client.GetFromJsonAsync<List<InboxItem>>($"/api/orgs/{desk.Org.Id}/inbox?view=mine", Ct);
        Assert.Equal(session, Assert.Single(mine!).SessionId);

        var reply = await ann.Client.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/replies", new { clientMessageId = "r1", content = "Hi, Ann here." }, Ct);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var note = await ann.Client.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/notes", new { content = "Customer seems upset; offer a refund." }, Ct);
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);

        var seen = (await customer.GetFromJsonAsync<WidgetMessages>($"/api/widget/sessions/{token}/messages", Ct))!.Messages;
        Assert.Contains(seen, m => m.MessageType == "system" && m.Content == "ann has joined the chat.");
        var agentMessage = Assert.Single(seen, m => m.MessageType == "agent");
        Assert.Equal("Hi, Ann here.", agentMessage.Content);
        Assert.Equal("ann", agentMessage.AiMetadata!.Value.GetProperty("agent").GetProperty("name").GetString());
        Assert.DoesNotContain(seen, m => m.Content.Contains("refund", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, (await ann.Client.PostAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/handback", null, Ct)).StatusCode);
        await using var db = Factory.SystemContext();
        Assert.Equal(SessionStatus.Active, await db.Sessions.Where(s => s.Id == session).Select(s => s.Status).SingleAsync(Ct));
        Assert.Equal(0, (await ActiveCountsAsync(desk.Org))[ann.Id]);
        var ended = await db.Escalations.AsNoTracking().SingleAsync(e => e.SessionId == session, Ct);
        Assert.Equal(EscalationOutcomes.HandedBack, ended.Outcome);
        Assert.Equal(HttpStatusCode.Conflict, (await ann.Client.PostAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/handback", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Another_organizations_agent_sees_nothing_and_changes_nothing()
    {
        var desk = await DeskAsync(("ann", "online", 2, []));
        var other = await DeskAsync(("zed", "online", 2, []));
        var (session, _) = await SessionAsync(desk.Org);
        await EscalateAsync(session, 3);
        var zed = other.Agents["zed"].Client;

        Assert.Equal(HttpStatusCode.NotFound, (await zed.GetAsync($"/api/orgs/{desk.Org.Id}/inbox?view=queue", Ct)).StatusCode);
        foreach (var action in new[] { "assign", "resolve", "handback" })
        {
            var response = await zed.PostAsJsonAsync($"/api/orgs/{other.Org.Id}/sessions/{session}/{action}", new { }, Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        var reply = await zed.PostAsJsonAsync($"/api/orgs/{other.Org.Id}/sessions/{session}/replies", new { clientMessageId = "x", content = "hi" }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, reply.StatusCode);
        Assert.Equal(desk.Agents["ann"].Id, (await OpenEscalationAsync(session)).AssignedAgentId);
    }

    [Fact]
    public async Task Bad_agent_input_is_a_problem_naming_the_field()
    {
        var desk = await DeskAsync(("ann", "online", 2, []));
        var ann = desk.Agents["ann"].Client;
        var (session, _) = await SessionAsync(desk.Org);
        var cases = new (Func<Task<HttpResponseMessage>> Send, HttpStatusCode Status, string Field)[]
        {
            (() => ann.PutAsJsonAsync($"/api/orgs/{desk.Org.Id}/agents/me/availability", new { availability = "busy" }), HttpStatusCode.BadRequest, "availability"),
            (() => ann.GetAsync($"/api/orgs/{desk.Org.Id}/inbox?view=everything"), HttpStatusCode.BadRequest, "view"),
            (() => ann.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/replies", new { clientMessageId = "a", content = " " }), HttpStatusCode.BadRequest, "content"),
            (() => ann.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/notes", new { content = new string('x', 4001) }), HttpStatusCode.BadRequest, "content"),
            (() => ann.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{session}/typing", new { }), HttpStatusCode.BadRequest, "isTyping"),
            (() => ann.PostAsJsonAsync($"/api/orgs/{desk.Org.Id}/sessions/{Guid.NewGuid()}/resolve", new { }), HttpStatusCode.NotFound, "sessionId"),
        };
        foreach (var (send, status, field) in cases)
        {
            var response = await send();
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct));
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await ann.GetAsync($"/api/orgs/{desk.Org.Id}/inbox?view=all", Ct)).StatusCode);
        await using var db = Factory.SystemContext();
        Assert.Equal(SessionStatus.Active, await db.Sessions.Where(s => s.Id == session).Select(s => s.Status).SingleAsync(Ct));
        Assert.False(await db.Escalations.AnyAsync(e => e.SessionId == session, Ct));
    }

    private sealed record WidgetMessages(List<MessageResponse> Messages);
}

public sealed class SqliteAssignmentTests(WorldFixture<SqliteFactory> fixture) : AssignmentTests<SqliteFactory>(fixture)
{
    protected override SwitchboardFactory SecondNode(SqliteFactory first) => new SqliteFactory(first);
}

public sealed class PostgresAssignmentTests(WorldFixture<PostgresFactory> fixture) : AssignmentTests<PostgresFactory>(fixture)
{
    protected override SwitchboardFactory SecondNode(PostgresFactory first) => new PostgresFactory(first);
}
