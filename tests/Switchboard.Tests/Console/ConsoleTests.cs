using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Accounts;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Console;

/// <summary>
/// The console as a browser without JavaScript sees it: the sign-in form, the cookie, and the
/// prerendered pages (interactive pages render their first frame on the server).
/// </summary>
public abstract partial class ConsoleTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private const string SignInPath = "/account/login";

    private TestWorld World => fixture.World;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConsoleSendsAnonymousVisitorsToTheSignInPage()
    {
        using var browser = NewBrowser();

        var response = await browser.GetAsync("/console", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?returnUrl=%2Fconsole", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task SignInPageIsAPlainFormThatPostsToTheLoginEndpoint()
    {
        using var browser = NewBrowser();

        var html = await browser.GetStringAsync("/account/login?returnUrl=%2Fconsole%2Fsomewhere", Ct);

        Assert.Contains("""<form method="post" action="/account/login">""", html, StringComparison.Ordinal);
        Assert.Contains("""name="email" """, html, StringComparison.Ordinal);
        Assert.Contains("""name="password" """, html, StringComparison.Ordinal);
        Assert.Contains("""<input type="hidden" name="returnUrl" value="/console/somewhere" />""", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigningInWithTheRightPasswordSetsTheCookieAndOpensTheConsole()
    {
        using var browser = NewBrowser();

        var response = await SignInAsync(browser, World["adminA"].Email!, TestWorld.Password);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/console", response.Headers.Location!.OriginalString);
        Assert.True(SetsSessionCookie(response));
        var console = await browser.GetAsync("/console", Ct);
        Assert.Equal(HttpStatusCode.OK, console.StatusCode);
        var html = await console.Content.ReadAsStringAsync(Ct);
        Assert.Contains(WebUtility.HtmlEncode(World.OrgA.Name), html, StringComparison.Ordinal);
        Assert.Contains(World.OrgA.WidgetKey, html, StringComparison.Ordinal);
        Assert.DoesNotContain(World.OrgB.Name, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleHomeShowsTheEmbedSnippetWithTheOrganizationsWidgetKey()
    {
        using var browser = NewBrowser();
        await SignInAsync(browser, World["agentA"].Email!, TestWorld.Password);

        var html = await browser.GetStringAsync("/console", Ct);

        var snippet = $"""<script src="http://localhost/widget.js" data-org-key="{World.OrgA.WidgetKey}" async></script>""";
        Assert.Contains(WebUtility.HtmlEncode(snippet), html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigningInReturnsToThePageThatAskedForIt()
    {
        using var browser = NewBrowser();
        var members = $"/console/orgs/{World.OrgA.Id}/members";

        var response = await SignInAsync(browser, World["adminA"].Email!, TestWorld.Password, returnUrl: members);

        Assert.Equal(members, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task SigningInWithAWrongPasswordReturnsToTheSignInPageWithoutACookie()
    {
        var email = await NewMemberAsync(World.OrgA, OrgRoles.Agent);
        using var browser = NewBrowser();

        var response = await SignInAsync(browser, email, "not-the-password");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/login?error=", location, StringComparison.Ordinal);
        Assert.False(SetsSessionCookie(response));
        var page = await browser.GetStringAsync(location, Ct);
        Assert.Contains("The email or password is wrong.", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/console", Ct)).StatusCode);
    }

    [Fact]
    public async Task ASignInPostedWithoutTheFormsAntiforgeryTokenIsRefused()
    {
        var email = await NewMemberAsync(World.OrgA, OrgRoles.Agent);
        using var browser = NewBrowser();
        var response = await browser.PostAsync(SignInPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = TestWorld.Password,
        }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(SetsSessionCookie(response));
    }

    [Fact]
    public async Task AFailedSignInKeepsThePageThatAskedForIt()
    {
        var email = await NewMemberAsync(World.OrgA, OrgRoles.Agent);
        using var browser = NewBrowser();
        var response = await SignInAsync(browser, email, "not-the-password", returnUrl: "/console/somewhere");
        Assert.Contains("returnUrl=%2Fconsole%2Fsomewhere", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiveWrongPasswordsLockTheAccountEvenAgainstTheRightOne()
    {
        var email = await NewMemberAsync(World.OrgA, OrgRoles.Agent);
        using var browser = NewBrowser();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await SignInAsync(browser, email, "not-the-password");
        }

        var response = await SignInAsync(browser, email, TestWorld.Password);

        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/login?error=", location, StringComparison.Ordinal);
        Assert.Contains("This account is locked after too many failed attempts", Uri.UnescapeDataString(location), StringComparison.Ordinal);
        Assert.False(SetsSessionCookie(response));
    }

    [Fact]
    public async Task AdminSeesTheMembersOfTheirOrganization()
    {
        using var browser = NewBrowser();
        await SignInAsync(browser, World["adminA"].Email!, TestWorld.Password);

        var response = await browser.GetAsync($"/console/orgs/{World.OrgA.Id}/members", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(Ct);
        foreach (var member in new[] { "adminA", "agentA", "memberA" })
        {
            Assert.Contains(World[member].Email!, html, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(World["agentB"].Email!, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentIsToldOnlyAdminsManageMembersAndSeesNoEmails()
    {
        using var browser = NewBrowser();
        await SignInAsync(browser, World["agentA"].Email!, TestWorld.Password);

        var response = await browser.GetAsync($"/console/orgs/{World.OrgA.Id}/members", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("Only organization admins can manage members.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.test", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminOfAnotherOrganizationLearnsNothingAboutItsMembers()
    {
        using var browser = NewBrowser();
        await SignInAsync(browser, World["adminB"].Email!, TestWorld.Password);

        var html = await browser.GetStringAsync($"/console/orgs/{World.OrgA.Id}/members", Ct);

        Assert.Contains("This organization does not exist or you are not a member of it.", html, StringComparison.Ordinal);
        Assert.DoesNotContain(World.OrgA.Name, html, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.test", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemberOfSeveralOrganizationsGetsAnOrganizationSwitcher()
    {
        var email = await NewMemberAsync(World.OrgA, OrgRoles.Agent, alsoIn: World.OrgB);
        using var browser = NewBrowser();
        await SignInAsync(browser, email, TestWorld.Password);

        var html = await browser.GetStringAsync("/console", Ct);

        Assert.Contains("""aria-label="Switch organization" """, html, StringComparison.Ordinal);
        Assert.Contains(World.OrgA.Name, html, StringComparison.Ordinal);
        Assert.Contains(World.OrgB.Name, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemberOfOneOrganizationGetsNoSwitcher()
    {
        using var browser = NewBrowser();
        await SignInAsync(browser, World["agentA"].Email!, TestWorld.Password);

        var html = await browser.GetStringAsync("/console", Ct);

        Assert.DoesNotContain("Switch organization", html, StringComparison.Ordinal);
    }

    private HttpClient NewBrowser() =>
        fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>What a browser does: load the form (its antiforgery token and cookie), then post it.</summary>
    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string email, string password, string returnUrl = "")
    {
        var form = await browser.GetStringAsync(SignInPath, Ct);
        var token = AntiforgeryField().Match(form);
        Assert.True(token.Success, "the sign-in form carries an antiforgery token");
        return await browser.PostAsync(SignInPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            ["returnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = System.Net.WebUtility.HtmlDecode(token.Groups[1].Value),
        }), Ct);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static bool SetsSessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
        && cookies.Any(c => c.StartsWith("switchboard=", StringComparison.Ordinal) && !c.StartsWith("switchboard=;", StringComparison.Ordinal));

    /// <summary>A person of this test's own, so failed sign-ins never lock an account another test uses.</summary>
    private async Task<string> NewMemberAsync(Organization org, string role, Organization? alsoIn = null)
    {
        var email = $"console-{Guid.NewGuid():N}@example.test";
        await using (var scope = fixture.Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var (user, errors) = await UserAccounts.CreateAsync(users, email, "Console Tester", TestWorld.Password);
            Assert.Null(errors);
            await using var db = fixture.Factory.SystemContext();
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = user!.Id, Role = role });
            if (alsoIn is not null)
            {
                db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = alsoIn.Id, UserId = user.Id, Role = role });
            }
            await db.SaveChangesAsync(Ct);
        }
        return email;
    }
}

public sealed class SqliteConsoleTests(WorldFixture<SqliteFactory> fixture) : ConsoleTests<SqliteFactory>(fixture);

public sealed class PostgresConsoleTests(WorldFixture<PostgresFactory> fixture) : ConsoleTests<PostgresFactory>(fixture);
