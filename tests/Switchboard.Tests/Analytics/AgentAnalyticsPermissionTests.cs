using System.Net;
using System.Net.Http.Json;
using Switchboard.Features.Analytics;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Analytics;

/// <summary>GET /api/orgs/{orgId}/analytics/agents per role: an agent gets their own rows, an admin the organization's, a member 403, another organization 404.</summary>
public abstract class AgentAnalyticsPermissionTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestWorld World => fixture.World;

    private async Task<List<AgentAnalyticsResponse>> RowsAsync(string actor)
    {
        var response = await World[actor].Client.GetAsync($"/api/orgs/{World.OrgA.Id}/analytics/agents", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<List<AgentAnalyticsResponse>>(Ct))!;
    }

    [Fact]
    public async Task An_agent_reads_only_their_own_rows()
    {
        var rows = await RowsAsync("agentA");

        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal(World["agentA"].UserId, r.AgentId));
    }

    [Fact]
    public async Task An_admin_reads_every_agent_of_their_organization_and_nothing_of_another()
    {
        var rows = await RowsAsync("adminA");

        Assert.Equal(new[] { World["agentA"].UserId!.Value, World["adminA"].UserId!.Value }.Order(), rows.Select(r => r.AgentId).Distinct().Order());
        Assert.All(rows, r => Assert.Equal(World.OrgA.Id, r.OrganizationId));
    }

    [Theory]
    [InlineData("memberA", HttpStatusCode.Forbidden)]
    [InlineData("agentB", HttpStatusCode.NotFound)]
    [InlineData("adminB", HttpStatusCode.NotFound)]
    [InlineData("customer", HttpStatusCode.NotFound)]
    [InlineData("anonymous", HttpStatusCode.Unauthorized)]
    public async Task Members_and_strangers_read_nothing(string actor, HttpStatusCode expected)
    {
        var response = await World[actor].Client.GetAsync($"/api/orgs/{World.OrgA.Id}/analytics/agents", Ct);

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain(World["agentA"].UserId!.Value.ToString(), await response.Content.ReadAsStringAsync(Ct));
    }
}

public sealed class SqliteAgentAnalyticsPermissionTests(WorldFixture<SqliteFactory> fixture) : AgentAnalyticsPermissionTests<SqliteFactory>(fixture);

public sealed class PostgresAgentAnalyticsPermissionTests(WorldFixture<PostgresFactory> fixture) : AgentAnalyticsPermissionTests<PostgresFactory>(fixture);
