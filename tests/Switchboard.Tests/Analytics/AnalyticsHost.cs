using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Accounts;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Analytics;

/// <summary>A clock a test sets: escalations, assignments, resolutions and ratings happen at the instant it says (system time until set).</summary>
public sealed class TestClock : TimeProvider
{
    public DateTimeOffset? Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now ?? System.GetUtcNow();
}

/// <summary>A server whose TimeProvider is a <see cref="TestClock"/>.</summary>
public interface IClockedFactory
{
    TestClock Clock { get; }
}

public class SqliteClockFactory : SqliteFactory, IClockedFactory
{
    public TestClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

public class PostgresClockFactory : PostgresFactory, IClockedFactory
{
    public TestClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>An organization in a time zone with agents (ann online, bob away, both capacity 5) and an admin, for the analytics tests.</summary>
public sealed record AnalyticsDesk(Organization Org, Guid Ann, Guid Bob, Guid Admin)
{
    public DeskActor AnnActor => new(Org.Id, Ann, false);
    public DeskActor BobActor => new(Org.Id, Bob, false);
    public DeskActor AdminActor => new(Org.Id, Admin, true);

    public static async Task<AnalyticsDesk> CreateAsync(SwitchboardFactory factory, string timeZone)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Analytics " + suffix, Slug = "analytics-" + suffix, TimeZone = timeZone };
        await using (var db = factory.SystemContext())
        {
            db.Organizations.Add(org);
            await db.SaveChangesAsync();
        }
        var ids = new Dictionary<string, Guid>();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var manager = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            await using var db = factory.SystemContext();
            foreach (var (name, role, availability, max) in new[]
                     {
                         ("ann", OrgRoles.Agent, AgentAvailability.Online, 5), ("bob", OrgRoles.Agent, AgentAvailability.Away, 5),
                         ("admin", OrgRoles.Admin, AgentAvailability.Away, 0),
                     })
            {
                var (user, errors) = await UserAccounts.CreateAsync(manager, $"{name}-{suffix}@example.test", $"{name} {suffix}", TestWorld.Password, false);
                ids[name] = user?.Id ?? throw new InvalidOperationException(string.Join(",", errors!.SelectMany(e => e.Value)));
                db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = user.Id, Role = role, Availability = availability, MaxConcurrent = max });
            }
            await db.SaveChangesAsync();
        }
        return new AnalyticsDesk(org, ids["ann"], ids["bob"], ids["admin"]);
    }

    /// <summary>An active session with one customer message, straight into the database.</summary>
    public async Task<(Guid Id, string Token)> SessionAsync(SwitchboardFactory factory)
    {
        var session = new ChatbotSession { OrganizationId = Org.Id, SessionToken = ChatbotSession.NewToken() };
        await using var db = factory.SystemContext();
        db.Sessions.Add(session);
        db.Messages.Add(new ConversationMessage { SessionId = session.Id, MessageType = MessageTypes.User, Content = "I need help", Seq = 1 });
        await db.SaveChangesAsync();
        return (session.Id, session.SessionToken);
    }
}
