using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Switchboard.Data;
using Switchboard.Features.Accounts;
using Switchboard.Features.Organizations;

namespace Switchboard.BrowserTests.Infrastructure;

/// <summary>A console user of a test's own organization.</summary>
public sealed record ConsoleUser(string Email, string Password, string Role);

/// <summary>A test's own organization with an admin and an agent, so that no test depends on another's data.</summary>
public sealed record ConsoleOrganization(Guid Id, string Name, ConsoleUser Admin, ConsoleUser Agent)
{
    public string KnowledgePath => $"/console/orgs/{Id}/knowledge";
}

public static class ConsoleAccounts
{
    public const string Password = "browser-tests-password-1";

    public static async Task<ConsoleOrganization> CreateOrganizationAsync(DemoServer server)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Test Co " + suffix, Slug = "test-" + suffix };
        await using (var db = server.Services.GetRequiredService<SystemDb>().CreateContext())
        {
            db.Organizations.Add(org);
            await db.SaveChangesAsync();
        }
        var admin = await CreateUserAsync(server, org.Id, $"admin-{suffix}@test.example", "Ada " + suffix, OrgRoles.Admin);
        var agent = await CreateUserAsync(server, org.Id, $"agent-{suffix}@test.example", "Alex " + suffix, OrgRoles.Agent);
        return new ConsoleOrganization(org.Id, org.Name, admin, agent);
    }

    private static async Task<ConsoleUser> CreateUserAsync(DemoServer server, Guid orgId, string email, string name, string role)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var (user, errors) = await UserAccounts.CreateAsync(users, email, name, Password);
        Assert.True(user is not null, "Could not create " + email + ": " + string.Join(" ", errors?.SelectMany(e => e.Value) ?? []));
        await using var db = server.Services.GetRequiredService<SystemDb>().CreateContext();
        db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = orgId, UserId = user!.Id, Role = role });
        await db.SaveChangesAsync();
        return new ConsoleUser(email, Password, role);
    }

    /// <summary>Signs in through the login form and opens <paramref name="path"/>.</summary>
    public static async Task SignInAsync(IPage page, ConsoleUser user, string path)
    {
        await page.GotoAsync("/account/login?returnUrl=" + Uri.EscapeDataString(path));
        await page.Locator("#email").FillAsync(user.Email);
        await page.Locator("#password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + path);
    }

    /// <summary>Waits until the knowledge page runs in its circuit: before that, clicks on the prerendered page do nothing.</summary>
    public static Task WaitForInteractiveKnowledgePageAsync(IPage page) =>
        page.Locator(".indexing-state[data-interactive=yes]").WaitForAsync();
}
