using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Accounts;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;

namespace Switchboard.Features.Organizations;

/// <summary>
/// On first run (no organization yet) creates a fictional company with an admin and an agent, and
/// prints their credentials once: only password hashes are stored.
/// </summary>
public sealed class DemoData(SystemDb systemDb, IServiceProvider services, ILogger<DemoData> logger)
{
    public const string Slug = "northwind";
    public const string AdminEmail = "admin@northwind.test";
    public const string AgentEmail = "agent@northwind.test";

    public async Task SeedIfEmptyAsync(CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        if (await db.Organizations.AnyAsync(ct))
        {
            return;
        }

        var org = new Organization
        {
            Name = "Northwind Outfitters",
            Slug = Slug,
            AllowedOrigins = ["http://127.0.0.1:5080", "http://localhost:5080"],
            TimeZone = "Europe/Berlin",
        };
        db.Organizations.Add(org);
        db.Knowledge.AddRange(Articles(org.Id));
        db.EscalationRules.AddRange(DefaultEscalationRules.For(org.Id));
        await db.SaveChangesAsync(ct);

        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var adminPassword = UserAccounts.NewPassword();
        var agentPassword = UserAccounts.NewPassword();
        var admin = await CreateAsync(users, AdminEmail, "Ada Admin", adminPassword);
        var agent = await CreateAsync(users, AgentEmail, "Alex Agent", agentPassword);
        db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = admin.Id, Role = OrgRoles.Admin });
        db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = agent.Id, Role = OrgRoles.Agent, Skills = ["billing", "orders"] });
        await db.SaveChangesAsync(ct);

        logger.LogWarning(
            """
            Created the demo organization '{Name}' (slug {Slug}, widget key {WidgetKey}).
              admin: {AdminEmail}  password: {AdminPassword}
              agent: {AgentEmail}  password: {AgentPassword}
            These passwords are shown only now. Change one with:
              dotnet run --project src/Switchboard -- users set-password --email {AdminEmail}
            """,
            org.Name, org.Slug, org.WidgetKey, AdminEmail, adminPassword, AgentEmail, agentPassword, AdminEmail);
    }

    private static async Task<AppUser> CreateAsync(UserManager<AppUser> users, string email, string name, string password)
    {
        var (user, errors) = await UserAccounts.CreateAsync(users, email, name, password);
        return user ?? throw new InvalidOperationException($"Could not create demo user {email}: {string.Join("; ", errors!.SelectMany(e => e.Value))}");
    }

    private static IEnumerable<KnowledgeArticle> Articles(Guid orgId)
    {
        (string Title, string Category, string[] Tags, string Content)[] articles =
        [
            ("Shipping times and costs", "shipping", ["shipping", "delivery"],
             "Standard shipping within the EU takes 3-5 business days and is free on orders over 50 EUR; below that it costs 4.90 EUR. Express shipping arrives in 1-2 business days for 12.90 EUR. Orders placed before 2 pm (Berlin time) ship the same day."),
            ("Returns and refunds", "returns", ["returns", "refund"],
             "You can return unworn items within 30 days of delivery. Start a return from Orders > Return item; we email a prepaid label. Refunds go back to the original payment method within 5 business days after the parcel reaches our warehouse."),
            ("Tracking your order", "orders", ["orders", "tracking"],
             "Every shipped order gets a tracking link by email. You can also find it under Orders in your account. Tracking can take up to 24 hours to show the first scan."),
            ("Changing or cancelling an order", "orders", ["orders", "cancel"],
             "Orders can be changed or cancelled within one hour of purchase from Orders > Manage. After that the order is packed; you can return it once it arrives."),
            ("Sizing guide", "products", ["sizing", "fit"],
             "Our jackets run true to size. If you are between sizes, choose the larger one for layering. Boots run half a size small: order half a size up."),
            ("Payment methods", "billing", ["payment", "billing"],
             "We accept Visa, Mastercard, American Express, PayPal and SEPA direct debit. Your card is charged when the order ships, not when you place it."),
        ];
        return articles.Select(a => new KnowledgeArticle
        {
            OrganizationId = orgId, Title = a.Title, Category = a.Category, Tags = [.. a.Tags], Content = a.Content,
        });
    }
}
