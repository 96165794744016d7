using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Accounts;
using Switchboard.Features.Analytics;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;

namespace Switchboard.Tests.Infrastructure;

public sealed record Actor(string Name, Guid? UserId, string? Email, HttpClient Client);

/// <summary>
/// Two organizations and one of every actor the security matrix names, with data in every seed
/// table, written through the trusted path. Emails are unique so worlds never collide.
/// </summary>
public sealed class TestWorld
{
    public const string Password = "correct-horse-battery";

    public required SwitchboardFactory Factory { get; init; }
    public required Organization OrgA { get; init; }
    public required Organization OrgB { get; init; }
    public required Dictionary<string, Actor> Actors { get; init; }
    public required ChatbotSession AnonymousSession { get; init; }
    public required ChatbotSession CustomerSession { get; init; }
    public required ChatbotSession OtherCustomerSession { get; init; }
    public required ChatbotSession SessionInB { get; init; }
    public required KnowledgeArticle ArticleA { get; init; }
    public required KnowledgeArticle ArticleB { get; init; }
    public required KnowledgeArticle GlobalArticle { get; init; }
    public required EscalationRule RuleA { get; init; }
    public required EscalationRule RuleB { get; init; }

    public Actor this[string name] => Actors[name];

    /// <summary>Fills a request template's placeholders ({orgA}, {anonToken}, {articleB}, {uuid}, ...).</summary>
    public string Resolve(string template) => template
        .Replace("{orgA}", OrgA.Id.ToString(), StringComparison.Ordinal)
        .Replace("{orgB}", OrgB.Id.ToString(), StringComparison.Ordinal)
        .Replace("{orgAKey}", OrgA.WidgetKey, StringComparison.Ordinal)
        .Replace("{anonToken}", AnonymousSession.SessionToken, StringComparison.Ordinal)
        .Replace("{anonSession}", AnonymousSession.Id.ToString(), StringComparison.Ordinal)
        .Replace("{customerSession}", CustomerSession.Id.ToString(), StringComparison.Ordinal)
        .Replace("{otherCustomerSession}", OtherCustomerSession.Id.ToString(), StringComparison.Ordinal)
        .Replace("{sessionInB}", SessionInB.Id.ToString(), StringComparison.Ordinal)
        .Replace("{articleA}", ArticleA.Id.ToString(), StringComparison.Ordinal)
        .Replace("{articleB}", ArticleB.Id.ToString(), StringComparison.Ordinal)
        .Replace("{globalArticle}", GlobalArticle.Id.ToString(), StringComparison.Ordinal)
        .Replace("{ruleA}", RuleA.Id.ToString(), StringComparison.Ordinal)
        .Replace("{ruleB}", RuleB.Id.ToString(), StringComparison.Ordinal)
        .Replace("{randomId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{uuid}", Guid.NewGuid().ToString(), StringComparison.Ordinal);

    public static async Task<TestWorld> CreateAsync(SwitchboardFactory factory)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var orgA = new Organization { Name = "Org A " + suffix, Slug = "a-" + suffix };
        var orgB = new Organization { Name = "Org B " + suffix, Slug = "b-" + suffix };
        await using (var db = factory.SystemContext())
        {
            db.Organizations.AddRange(orgA, orgB);
            await db.SaveChangesAsync();
        }

        var users = new Dictionary<string, AppUser>();
        (string Name, Organization? Org, string? Role, bool Platform)[] people =
        [
            ("customer", null, null, false), ("otherCustomer", null, null, false),
            ("agentA", orgA, OrgRoles.Agent, false), ("agentB", orgB, OrgRoles.Agent, false),
            ("adminA", orgA, OrgRoles.Admin, false), ("adminB", orgB, OrgRoles.Admin, false),
            ("memberA", orgA, OrgRoles.Member, false), ("platformAdmin", null, null, true),
        ];
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var manager = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            foreach (var person in people)
            {
                var (user, errors) = await UserAccounts.CreateAsync(manager, $"{person.Name.ToLowerInvariant()}-{suffix}@example.test", person.Name, Password, person.Platform);
                users[person.Name] = user ?? throw new InvalidOperationException(string.Join(",", errors!.SelectMany(e => e.Value)));
            }
        }

        var world = new TestWorld
        {
            Factory = factory,
            OrgA = orgA,
            OrgB = orgB,
            Actors = [],
            AnonymousSession = new ChatbotSession { OrganizationId = orgA.Id, SessionToken = ChatbotSession.NewToken() },
            CustomerSession = new ChatbotSession { OrganizationId = orgA.Id, UserId = users["customer"].Id, SessionToken = ChatbotSession.NewToken() },
            OtherCustomerSession = new ChatbotSession { OrganizationId = orgA.Id, UserId = users["otherCustomer"].Id, SessionToken = ChatbotSession.NewToken() },
            SessionInB = new ChatbotSession { OrganizationId = orgB.Id, SessionToken = ChatbotSession.NewToken() },
            ArticleA = new KnowledgeArticle { OrganizationId = orgA.Id, Title = "Returns in A", Content = "Thirty days." },
            ArticleB = new KnowledgeArticle { OrganizationId = orgB.Id, Title = "Returns in B", Content = "Fourteen days." },
            GlobalArticle = new KnowledgeArticle { OrganizationId = null, Title = "Global " + suffix, Content = "Everyone may read this." },
            RuleA = new EscalationRule { OrganizationId = orgA.Id, RuleName = "VIP in A", PriorityLevel = 4, TriggerConditions = """{"customer_context":{"plan":"vip"}}""" },
            RuleB = new EscalationRule { OrganizationId = orgB.Id, RuleName = "VIP in B", PriorityLevel = 4, TriggerConditions = """{"customer_context":{"plan":"vip"}}""" },
        };

        await using (var db = factory.SystemContext())
        {
            foreach (var person in people.Where(p => p.Org is not null))
            {
                db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = person.Org!.Id, UserId = users[person.Name].Id, Role = person.Role! });
            }
            db.Sessions.AddRange(world.AnonymousSession, world.CustomerSession, world.OtherCustomerSession, world.SessionInB);
            foreach (var session in new[] { world.AnonymousSession, world.CustomerSession, world.OtherCustomerSession, world.SessionInB })
            {
                db.Messages.Add(new ConversationMessage { SessionId = session.Id, MessageType = MessageTypes.User, Content = "Hello from " + session.Id, Seq = 1 });
                db.Messages.Add(new ConversationMessage { SessionId = session.Id, MessageType = MessageTypes.Ai, Content = "Hi!", Seq = 2 });
            }
            db.Knowledge.AddRange(world.ArticleA, world.ArticleB, world.GlobalArticle);
            db.EscalationRules.AddRange(world.RuleA, world.RuleB);
            db.AgentAnalytics.AddRange(
                new AgentAnalytics { AgentId = users["agentA"].Id, OrganizationId = orgA.Id, ConversationsHandled = 3 },
                new AgentAnalytics { AgentId = users["adminA"].Id, OrganizationId = orgA.Id, ConversationsHandled = 5 },
                new AgentAnalytics { AgentId = users["agentB"].Id, OrganizationId = orgB.Id, ConversationsHandled = 7 });
            await db.SaveChangesAsync();
        }

        world.Actors["anonymous"] = new Actor("anonymous", null, null, factory.CreateClient());
        foreach (var (name, user) in users)
        {
            world.Actors[name] = new Actor(name, user.Id, user.Email, await factory.ClientForAsync(user.Email!, Password));
        }
        return world;
    }
}
