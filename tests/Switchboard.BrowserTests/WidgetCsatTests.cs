using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Switchboard.BrowserTests.Infrastructure;
using Switchboard.Data;
using Switchboard.Features.Accounts;
using Switchboard.Features.Organizations;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>
/// The widget's satisfaction prompt (docs/widget.md#satisfaction): an agent resolves the chat in the console inbox,
/// the customer rates it in the widget, and the rating is stored once, attributed to that agent.
/// </summary>
public sealed class WidgetCsatTests
{
    private readonly BrowserFixture _fixture;

    public WidgetCsatTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        SetDefaultExpectTimeout(20_000);
    }

    [Fact(Timeout = 120_000)]
    public async Task AfterAnAgentResolvesTheCustomerRatesFourStarsWithACommentSeesThanksAndIsNotAskedAgainAfterAReload()
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (orgId, agent, agentId) = await CreateDemoAgentAsync(suffix);

        await using var agentContext = await _fixture.NewContextAsync(ct);
        var console = await agentContext.NewPageAsync();
        var inbox = $"/console/orgs/{orgId}/inbox";
        await ConsoleAccounts.SignInAsync(console, agent, inbox);
        await console.Locator(".inbox-header[data-interactive=yes]").WaitForAsync();
        await console.GetByRole(AriaRole.Button, new() { Name = "Away", Exact = true }).ClickAsync();
        await Expect(console.GetByText("You are away:")).ToBeVisibleAsync();

        await using var customerContext = await _fixture.NewContextAsync(ct);
        var store = await customerContext.NewPageAsync();
        var widget = new Widget(store);
        await store.GotoAsync("/");
        await widget.Launcher.ClickAsync();
        var question = $"My parcel {suffix} arrived damaged.";
        await widget.AskAsync(question);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        await widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Talk to a person" }).ClickAsync();
        await Expect(widget.Frame.GetByRole(AriaRole.Button, new() { Name = "A person is on the way" })).ToBeDisabledAsync();
        var rating = widget.Frame.GetByRole(AriaRole.Group, new() { Name = "How did we do?" });
        await Expect(rating).ToBeHiddenAsync();

        var sessionId = await SessionOfAsync(question);
        await console.Locator($"ul[data-view=queue] li[data-session-id='{sessionId}']").GetByRole(AriaRole.Button).ClickAsync();
        var conversation = console.GetByRole(AriaRole.Region, new() { Name = "Conversation" });
        await conversation.GetByRole(AriaRole.Button, new() { Name = "Take" }).ClickAsync();
        await Expect(conversation.Locator(".conversation-holder")).ToHaveTextAsync("with you");
        await conversation.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();

        // The chat is resolved: the widget asks, with five labelled stars; Send waits for a star.
        await Expect(rating).ToBeVisibleAsync();
        await Expect(rating.GetByRole(AriaRole.Radio)).ToHaveCountAsync(5);
        var send = widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true });
        await Expect(send).ToBeDisabledAsync();
        await widget.Frame.Locator("label[for=csat-4]").ClickAsync();
        await Expect(rating.GetByRole(AriaRole.Radio, new() { Name = "4 stars: good" })).ToBeCheckedAsync();
        await Expect(widget.Frame.Locator(".csat-stars label.lit")).ToHaveCountAsync(4);
        var comment = $"Quick and friendly {suffix}.";
        await widget.Frame.GetByLabel("Comment (optional)").FillAsync(comment);
        await Screenshots.TakeAsync(store, "widget-csat-prompt");
        await send.ClickAsync();

        var thanks = widget.Frame.Locator("#csat-thanks");
        await Expect(thanks).ToHaveTextAsync("Thank you for your rating!");
        await Expect(thanks).ToBeVisibleAsync();
        await Expect(thanks).ToBeFocusedAsync();
        await Expect(rating).ToBeHiddenAsync();

        await using (var db = _fixture.Server.Services.GetRequiredService<SystemDb>().CreateContext())
        {
            var stored = await db.Csat.AsNoTracking().SingleAsync(c => c.SessionId == sessionId, ct);
            Assert.Equal(4, stored.Score);
            Assert.Equal(comment, stored.Comment);
            Assert.Equal(agentId, stored.AgentId);
        }

        // A reload resumes the resolved chat: thanks, no second question.
        await store.ReloadAsync();
        await widget.Launcher.ClickAsync();
        await Expect(widget.Frame.Locator("li.msg-user").First).ToContainTextAsync(question);
        await Expect(widget.Frame.Locator("#csat-thanks")).ToBeVisibleAsync();
        await Expect(widget.Frame.GetByRole(AriaRole.Group, new() { Name = "How did we do?" })).ToBeHiddenAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task AChatRatedElsewhereIsNotRatedTwiceTheWidgetThanksOnTheServersConflict()
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (orgId, agent, _) = await CreateDemoAgentAsync(suffix);

        await using var agentContext = await _fixture.NewContextAsync(ct);
        var console = await agentContext.NewPageAsync();
        await ConsoleAccounts.SignInAsync(console, agent, $"/console/orgs/{orgId}/inbox");
        await console.Locator(".inbox-header[data-interactive=yes]").WaitForAsync();
        await console.GetByRole(AriaRole.Button, new() { Name = "Away", Exact = true }).ClickAsync();
        await Expect(console.GetByText("You are away:")).ToBeVisibleAsync();

        await using var customerContext = await _fixture.NewContextAsync(ct);
        var store = await customerContext.NewPageAsync();
        var widget = new Widget(store);
        await store.GotoAsync("/");
        await widget.Launcher.ClickAsync();
        var question = $"Wrong size in parcel {suffix}.";
        await widget.AskAsync(question);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        await widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Talk to a person" }).ClickAsync();
        var sessionId = await SessionOfAsync(question);
        await console.Locator($"ul[data-view=queue] li[data-session-id='{sessionId}']").GetByRole(AriaRole.Button).ClickAsync();
        var conversation = console.GetByRole(AriaRole.Region, new() { Name = "Conversation" });
        await conversation.GetByRole(AriaRole.Button, new() { Name = "Take" }).ClickAsync();
        await Expect(conversation.Locator(".conversation-holder")).ToHaveTextAsync("with you");
        await conversation.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        var rating = widget.Frame.GetByRole(AriaRole.Group, new() { Name = "How did we do?" });
        await Expect(rating).ToBeVisibleAsync();

        // Rated meanwhile through the API with the same token (another tab of the customer's).
        var widgetToken = await widget.Frame.Locator("body").EvaluateAsync<string>(
            "() => { for (let i = 0; i < localStorage.length; i++) { const v = JSON.parse(localStorage.getItem(localStorage.key(i))); if (v && v.token) return v.token; } return ''; }");
        Assert.False(string.IsNullOrEmpty(widgetToken), "The widget keeps its session token in its localStorage.");
        using var http = new HttpClient { BaseAddress = _fixture.Server.BaseAddress };
        var first = await http.PostAsJsonAsync($"/api/widget/sessions/{widgetToken}/csat", new { score = 2 }, ct);
        Assert.True(first.IsSuccessStatusCode, $"The first rating is stored: {(int)first.StatusCode} {await first.Content.ReadAsStringAsync(ct)}");

        await widget.Frame.Locator("label[for=csat-5]").ClickAsync();
        await widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        await Expect(widget.Frame.Locator("#csat-thanks")).ToBeVisibleAsync();
        await using var db = _fixture.Server.Services.GetRequiredService<SystemDb>().CreateContext();
        var stored = await db.Csat.AsNoTracking().Where(c => c.SessionId == sessionId).ToListAsync(ct);
        Assert.Equal(2, Assert.Single(stored).Score);
    }

    /// <summary>An agent of the demo organization (the demo store's widget is its), with a name of this test's own.</summary>
    private async Task<(Guid OrgId, ConsoleUser Agent, Guid AgentId)> CreateDemoAgentAsync(string suffix)
    {
        var server = _fixture.Server;
        var email = $"csat-agent-{suffix}@test.example";
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var (user, errors) = await UserAccounts.CreateAsync(users, email, "Sam " + suffix, ConsoleAccounts.Password);
        Assert.True(user is not null, "Could not create " + email + ": " + string.Join(" ", errors?.SelectMany(e => e.Value) ?? []));
        await using var db = server.Services.GetRequiredService<SystemDb>().CreateContext();
        var orgId = await db.Organizations.Where(o => o.Slug == DemoData.Slug).Select(o => o.Id).SingleAsync();
        db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = orgId, UserId = user!.Id, Role = OrgRoles.Agent });
        await db.SaveChangesAsync();
        return (orgId, new ConsoleUser(email, ConsoleAccounts.Password, OrgRoles.Agent), user.Id);
    }

    private async Task<Guid> SessionOfAsync(string question)
    {
        await using var db = _fixture.Server.Services.GetRequiredService<SystemDb>().CreateContext();
        return await db.Messages.Where(m => m.Content == question).Select(m => m.SessionId).SingleAsync();
    }
}
