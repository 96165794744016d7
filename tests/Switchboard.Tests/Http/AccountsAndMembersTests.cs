using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Http;

/// <summary>Sign-in with Identity, bearer tokens, lockout, and the admins' member management API.</summary>
public abstract class AccountsAndMembersTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TokenWithTheRightPasswordShowsTheUsersOrganizations()
    {
        var me = await World["adminA"].Client.GetFromJsonAsync<JsonElement>("/api/me", Ct);
        Assert.Equal(World["adminA"].Email, me.GetProperty("email").GetString());
        var org = Assert.Single(me.GetProperty("organizations").EnumerateArray());
        Assert.Equal(World.OrgA.Id, org.GetProperty("id").GetGuid());
        Assert.Equal("admin", org.GetProperty("role").GetString());
    }

    [Fact]
    public async Task WrongPasswordIsRefusedWithAProblem()
    {
        var response = await World.Factory.CreateClient().PostAsJsonAsync("/api/auth/token", new { email = World["agentB"].Email, password = "wrong password!" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task FiveWrongPasswordsLockTheAccountEvenForTheRightOne()
    {
        var client = World.Factory.CreateClient();
        var email = await NewMemberEmailAsync("agent");
        for (var i = 0; i < 5; i++)
        {
            await client.PostAsJsonAsync("/api/auth/token", new { email, password = "not the password" }, Ct);
        }
        var response = await client.PostAsJsonAsync("/api/auth/token", new { email, password = TestWorld.Password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("locked", await response.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ATokenOfADeletedOrLockedAccountIsNoLongerAccepted()
    {
        var deletedEmail = await NewMemberEmailAsync("agent");
        var lockedEmail = await NewMemberEmailAsync("agent");
        var deleted = await World.Factory.ClientForAsync(deletedEmail, TestWorld.Password);
        var locked = await World.Factory.ClientForAsync(lockedEmail, TestWorld.Password);
        await using (var db = World.Factory.SystemContext())
        {
            await db.Users.Where(u => u.Email == deletedEmail).ExecuteDeleteAsync(Ct);
            await db.Users.Where(u => u.Email == lockedEmail).ExecuteUpdateAsync(u => u.SetProperty(x => x.LockoutEnd, DateTimeOffset.UtcNow.AddHours(1)), Ct);
        }

        foreach (var client in new[] { deleted, locked })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/me/sessions", new { orgKey = World.OrgA.WidgetKey }, Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/orgs/{World.OrgA.Id}/sessions", Ct)).StatusCode);
        }
    }

    [Fact]
    public async Task ARefreshTokenIssuesANewTokenUntilThePasswordChanges()
    {
        var email = await NewMemberEmailAsync("agent");
        var anonymous = World.Factory.CreateClient();
        var issued = await (await anonymous.PostAsJsonAsync("/api/auth/token", new { email, password = TestWorld.Password }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var refresh = issued.GetProperty("refreshToken").GetString();

        var renewed = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }, Ct);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        var token = (await renewed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString();
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me") { Headers = { Authorization = new("Bearer", token) } };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(me, Ct)).StatusCode);

        await using (var scope = World.Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Switchboard.Features.Accounts.AppUser>>();
            var user = await users.FindByEmailAsync(email);
            await users.UpdateSecurityStampAsync(user!);
        }
        var stale = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        var garbage = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "not-a-token" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
    }

    [Fact]
    public async Task AnAccessTokenStopsWorkingWhenThePasswordChanges()
    {
        var email = await NewMemberEmailAsync("agent");
        var client = await World.Factory.ClientForAsync(email, TestWorld.Password);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me", Ct)).StatusCode);

        await using (var scope = World.Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Switchboard.Features.Accounts.AppUser>>();
            var user = await users.FindByEmailAsync(email);
            var reset = await users.GeneratePasswordResetTokenAsync(user!);
            Assert.True((await users.ResetPasswordAsync(user!, reset, "a completely new password")).Succeeded);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task AdminsReadAndRotateTheIdentitySecretThatVerifiesCustomers()
    {
        var url = $"/api/orgs/{World.OrgB.Id}/identity-secret";
        Assert.Equal(HttpStatusCode.Forbidden, (await World["agentB"].Client.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await World["adminA"].Client.GetAsync(url, Ct)).StatusCode);
        var secret = (await World["adminB"].Client.GetFromJsonAsync<JsonElement>(url, Ct)).GetProperty("identitySecret").GetString()!;

        var widget = World.Factory.CreateClient();
        var verified = await widget.PostAsJsonAsync("/api/widget/sessions",
            new { orgKey = World.OrgB.WidgetKey, customer = new { externalId = "cust-42", name = "Kim", userHash = Hash(secret, "cust-42") } }, Ct);
        Assert.Equal(HttpStatusCode.Created, verified.StatusCode);

        var rotated = (await (await World["adminB"].Client.PostAsync(url + "/rotate", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("identitySecret").GetString()!;
        Assert.NotEqual(secret, rotated);
        var stale = await widget.PostAsJsonAsync("/api/widget/sessions",
            new { orgKey = World.OrgB.WidgetKey, customer = new { externalId = "cust-42", userHash = Hash(secret, "cust-42") } }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
    }

    private static string Hash(string secret, string externalId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes(externalId)));

    [Fact]
    public async Task AnonymousCallersGetUnauthorizedFromTheApi()
    {
        var response = await World.Factory.CreateClient().GetAsync("/api/me", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AdminAddsANewPersonWhoCanThenSignIn()
    {
        var email = $"new-{Guid.NewGuid():N}@example.test";
        var response = await World["adminA"].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/members", new { email, role = "agent", displayName = "Nia New" }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(body.GetProperty("accountCreated").GetBoolean());
        var password = body.GetProperty("temporaryPassword").GetString()!;

        var client = await World.Factory.ClientForAsync(email, password);
        var sessions = await client.GetAsync($"/api/orgs/{World.OrgA.Id}/sessions", Ct);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
    }

    [Fact]
    public async Task AddingAnExistingMemberAgainIsAConflict()
    {
        var response = await World["adminA"].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/members", new { email = World["agentA"].Email, role = "agent" }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task AdminAddsAnExistingAccountOfAnotherOrganization()
    {
        var response = await World["adminA"].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/members", new { email = World["customer"].Email, role = "member" }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(body.GetProperty("accountCreated").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("temporaryPassword").ValueKind);
        await World["adminA"].Client.DeleteAsync($"/api/orgs/{World.OrgA.Id}/members/{World["customer"].UserId}", Ct);
    }

    [Fact]
    public async Task RoleChangesTakeEffectOnTheNextRequest()
    {
        var email = await NewMemberEmailAsync("agent");
        var client = await World.Factory.ClientForAsync(email, TestWorld.Password);
        var userId = await UserIdAsync(email);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/api/orgs/{World.OrgA.Id}/escalation-rules", Ct)).StatusCode);

        var promote = await World["adminA"].Client.PatchAsJsonAsync($"/api/orgs/{World.OrgA.Id}/members/{userId}", new { role = "admin" }, Ct);
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/orgs/{World.OrgA.Id}/escalation-rules", Ct)).StatusCode);

        var remove = await World["adminA"].Client.DeleteAsync($"/api/orgs/{World.OrgA.Id}/members/{userId}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/orgs/{World.OrgA.Id}/escalation-rules", Ct)).StatusCode);
    }

    [Fact]
    public async Task TheLastAdminCannotBeRemovedOrDemoted()
    {
        var members = $"/api/orgs/{World.OrgB.Id}/members/{World["adminB"].UserId}";
        Assert.Equal(HttpStatusCode.Conflict, (await World["adminB"].Client.DeleteAsync(members, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await World["adminB"].Client.PatchAsJsonAsync(members, new { role = "agent" }, Ct)).StatusCode);
        await using var db = World.Factory.SystemContext();
        Assert.Equal("admin", await db.OrganizationMembers.Where(m => m.UserId == World["adminB"].UserId).Select(m => m.Role).SingleAsync(Ct));
    }

    [Fact]
    public async Task AgentsCannotManageMembersAndStrangersCannotSeeThem()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await World["agentA"].Client.GetAsync($"/api/orgs/{World.OrgA.Id}/members", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await World["adminB"].Client.GetAsync($"/api/orgs/{World.OrgA.Id}/members", Ct)).StatusCode);
        var response = await World["agentA"].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/members", new { email = "sneaky@example.test", role = "admin" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var db = World.Factory.SystemContext();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "sneaky@example.test", Ct));
    }

    [Fact]
    public async Task AdminListsMembersOfTheirOrganizationOnly()
    {
        var members = await World["adminA"].Client.GetFromJsonAsync<List<JsonElement>>($"/api/orgs/{World.OrgA.Id}/members", Ct);
        var emails = members!.Select(m => m.GetProperty("email").GetString()).ToList();
        Assert.Contains(World["agentA"].Email, emails);
        Assert.DoesNotContain(World["agentB"].Email, emails);
    }

    [Fact]
    public async Task HealthAndReadinessAnswer()
    {
        var client = World.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json", Ct)).StatusCode);
    }

    private async Task<string> NewMemberEmailAsync(string role)
    {
        var email = $"m-{Guid.NewGuid():N}@example.test";
        var response = await World["adminA"].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/members", new { email, role, password = TestWorld.Password }, Ct);
        response.EnsureSuccessStatusCode();
        return email;
    }

    private async Task<Guid> UserIdAsync(string email)
    {
        await using var db = World.Factory.SystemContext();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync(Ct);
    }
}

public sealed class SqliteAccountsAndMembersTests(WorldFixture<SqliteFactory> fixture) : AccountsAndMembersTests<SqliteFactory>(fixture);

public sealed class PostgresAccountsAndMembersTests(WorldFixture<PostgresFactory> fixture) : AccountsAndMembersTests<PostgresFactory>(fixture);
