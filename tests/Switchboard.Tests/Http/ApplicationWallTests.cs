using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Http;

/// <summary>
/// The query filters alone, with no endpoint code in between: an unfiltered query of each seed
/// table returns exactly the rows the seed's rules allow the principal to see.
/// </summary>
public abstract class ApplicationWallTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;

    [Theory]
    [InlineData("anonymous")]
    [InlineData("customer")]
    [InlineData("otherCustomer")]
    [InlineData("agentA")]
    [InlineData("agentB")]
    [InlineData("adminA")]
    [InlineData("adminB")]
    [InlineData("memberA")]
    [InlineData("platformAdmin")]
    public async Task UnfilteredQueriesSeeOnlyWhatTheSeedAllows(string actor)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = World.Factory.Services.CreateAsyncScope();
        var principal = scope.ServiceProvider.GetRequiredService<CurrentPrincipal>();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var userId = World[actor].UserId;
        if (userId is { } id)
        {
            await using var system = World.Factory.SystemContext();
            var roles = await system.OrganizationMembers.Where(m => m.UserId == id)
                .Select(m => new KeyValuePair<Guid, string>(m.OrganizationId, m.Role)).ToListAsync(ct);
            principal.SignIn(id, actor == "platformAdmin", roles);
        }
        else
        {
            principal.SessionToken = World.AnonymousSession.SessionToken;
        }
        var w = World;
        var agentOrgs = principal.OrganizationsWithRole(OrgRoles.Agent);
        var memberOrgs = principal.OrganizationsWithRole(OrgRoles.Member);
        var adminOrgs = principal.OrganizationsWithRole(OrgRoles.Admin);

        // Expected visibility, straight from the seed's wording, over the world's fixed rows.
        var sessions = new[] { w.AnonymousSession, w.CustomerSession, w.OtherCustomerSession, w.SessionInB };
        var expectedSessions = sessions
            .Where(s => (userId != null && s.UserId == userId) || (userId == null && s == w.AnonymousSession) || agentOrgs.Contains(s.OrganizationId))
            .Select(s => s.Id).Order().ToList();
        var expectedArticles = new[] { w.ArticleA, w.ArticleB, w.GlobalArticle }
            .Where(a => a.OrganizationId == null || memberOrgs.Contains(a.OrganizationId.Value))
            .Select(a => a.Id).Order().ToList();
        var expectedRules = new[] { w.RuleA, w.RuleB }.Where(r => adminOrgs.Contains(r.OrganizationId)).Select(r => r.Id).Order().ToList();
        var worldOrgs = new[] { w.OrgA.Id, w.OrgB.Id };

        var seenSessions = await db.Sessions.Where(s => worldOrgs.Contains(s.OrganizationId) && sessions.Select(x => x.Id).Contains(s.Id))
            .Select(s => s.Id).ToListAsync(ct);
        var seenMessageSessions = await db.Messages.Where(m => sessions.Select(x => x.Id).Contains(m.SessionId))
            .Select(m => m.SessionId).Distinct().ToListAsync(ct);
        var seenArticles = await db.Knowledge.Where(a => new[] { w.ArticleA.Id, w.ArticleB.Id, w.GlobalArticle.Id }.Contains(a.Id))
            .Select(a => a.Id).ToListAsync(ct);
        var seenRules = await db.EscalationRules.Where(r => new[] { w.RuleA.Id, w.RuleB.Id }.Contains(r.Id)).Select(r => r.Id).ToListAsync(ct);
        var seenAnalytics = await db.AgentAnalytics.Where(a => a.OrganizationId != null && worldOrgs.Contains(a.OrganizationId.Value))
            .Select(a => new { a.AgentId, a.OrganizationId }).ToListAsync(ct);

        Assert.Equal(expectedSessions, seenSessions.Order().ToList());
        Assert.Equal(expectedSessions, seenMessageSessions.Order().ToList());
        Assert.Equal(expectedArticles, seenArticles.Order().ToList());
        Assert.Equal(expectedRules, seenRules.Order().ToList());
        Assert.All(seenAnalytics, a => Assert.True(a.AgentId == userId || adminOrgs.Contains(a.OrganizationId!.Value)));
        var expectedAnalytics = actor switch { "agentA" or "agentB" => 1, "adminA" => 2, "adminB" => 1, _ => 0 };
        Assert.Equal(expectedAnalytics, seenAnalytics.Count);

        // The tenant tables around the seed: organizations to their members, memberships to the
        // person and the organization's agents, accounts to themselves and their organizations' agents.
        var seenOrgs = await db.Organizations.Where(o => worldOrgs.Contains(o.Id)).Select(o => o.Id).ToListAsync(ct);
        Assert.Equal(worldOrgs.Where(memberOrgs.Contains).Order().ToList(), seenOrgs.Order().ToList());
        var seenMembers = await db.OrganizationMembers.Where(m => worldOrgs.Contains(m.OrganizationId)).Select(m => new { m.UserId, m.OrganizationId }).ToListAsync(ct);
        Assert.All(seenMembers, m => Assert.True(m.UserId == userId || agentOrgs.Contains(m.OrganizationId)));
        await using var trusted = World.Factory.SystemContext();
        var allMembers = await trusted.OrganizationMembers.Where(m => worldOrgs.Contains(m.OrganizationId)).Select(m => new { m.UserId, m.OrganizationId }).ToListAsync(ct);
        Assert.Equal(allMembers.Count(m => m.UserId == userId || agentOrgs.Contains(m.OrganizationId)), seenMembers.Count);
        var worldPeople = World.Actors.Values.Where(a => a.UserId is not null).Select(a => a.UserId!.Value).ToList();
        var seenPeople = await db.Users.Where(u => worldPeople.Contains(u.Id)).Select(u => u.Id).ToListAsync(ct);
        var expectedPeople = worldPeople.Where(p => p == userId || allMembers.Any(m => m.UserId == p && agentOrgs.Contains(m.OrganizationId)));
        Assert.Equal(expectedPeople.Order().ToList(), seenPeople.Order().ToList());
    }
}

public sealed class SqliteApplicationWallTests(WorldFixture<SqliteFactory> fixture) : ApplicationWallTests<SqliteFactory>(fixture);

public sealed class PostgresApplicationWallTests(WorldFixture<PostgresFactory> fixture) : ApplicationWallTests<PostgresFactory>(fixture);
