using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>The console's webhooks page as the server renders it for each role.</summary>
public abstract partial class WebhooksConsoleTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminSeesTheEndpointsWithAPingButtonAndOthersSeeNone()
    {
        var url = $"http://127.0.0.1:9/console-{Guid.NewGuid():N}";
        (await World["adminA"].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/webhooks", new { url, events = new[] { "message.created" } }, Ct)).EnsureSuccessStatusCode();
        var page = $"/console/orgs/{World.OrgA.Id}/webhooks";

        var admin = await PageAsync("adminA", page);
        var agent = await PageAsync("agentA", page);
        var stranger = await PageAsync("adminB", page);

        Assert.Contains(url, admin, StringComparison.Ordinal);
        Assert.Contains("Send ping", admin, StringComparison.Ordinal);
        Assert.Contains($"/console/orgs/{World.OrgA.Id}/webhooks", admin, StringComparison.Ordinal);
        Assert.DoesNotContain(url, agent, StringComparison.Ordinal);
        Assert.Contains("Only organization admins manage webhooks", agent, StringComparison.Ordinal);
        Assert.DoesNotContain(url, stranger, StringComparison.Ordinal);
        Assert.Contains("not a member", stranger, StringComparison.Ordinal);
    }

    private async Task<string> PageAsync(string actor, string path)
    {
        using var browser = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var form = await browser.GetStringAsync("/account/login", Ct);
        var token = AntiforgeryField().Match(form);
        Assert.True(token.Success, "the sign-in form carries an antiforgery token");
        using var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = World[actor].Email!,
            ["password"] = TestWorld.Password,
            ["returnUrl"] = "",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        using var response = await browser.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

public sealed class SqliteWebhooksConsoleTests(WorldFixture<WebhooksSqliteFactory> fixture) : WebhooksConsoleTests<WebhooksSqliteFactory>(fixture);

public sealed class PostgresWebhooksConsoleTests(WorldFixture<WebhooksPostgresFactory> fixture) : WebhooksConsoleTests<WebhooksPostgresFactory>(fixture);
