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
/// A customer on the demo store and an agent in the console, in two browser contexts against the same real server:
/// the conversation reaches the inbox live, the agent takes it and replies, and the customer sees it live.
/// Each test has its own agent in the demo organization (the widget on the demo store belongs to it), set
/// "away": nothing is assigned to them automatically, so the conversation waits in the queue until they take it.
/// </summary>
public sealed class AgentInboxTests
{
    private readonly BrowserFixture _fixture;

    public AgentInboxTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        // The AI answers (and a busy machine) can delay events by seconds; the test's own timeout bounds it.
        SetDefaultExpectTimeout(20_000);
    }

    [Fact(Timeout = 120_000)]
    public async Task ACustomerAsksForAPersonAndTheAgentTakesRepliesNotesAndResolvesWhileEachSeesTheOtherLive()
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (orgId, agent, agentName) = await CreateDemoAgentAsync(suffix);

        await using var agentContext = await _fixture.NewContextAsync(ct);
        var console = await agentContext.NewPageAsync();
        await OpenInboxAwayAsync(console, orgId, agent);

        await using var customerContext = await _fixture.NewContextAsync(ct);
        var store = await customerContext.NewPageAsync();
        var widget = new Widget(store);
        await store.GotoAsync("/");
        await widget.Launcher.ClickAsync();
        var question = $"Where is my order {suffix}?";
        await widget.AskAsync(question);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        // Asked in words: the organization's default rule "Customer asks for a person" escalates it (the button is the other test's way).
        await widget.AskAsync("Can I talk to a real person please?");
        var sessionId = await SessionOfAsync(question);

        // The queue shows it without a reload; opening it shows why it escalated.
        var queued = console.Locator($"ul[data-view=queue] li[data-session-id='{sessionId}']");
        await Expect(queued).ToBeVisibleAsync();
        await Expect(console.GetByRole(AriaRole.Tab, new() { Name = "Queue (" })).ToBeVisibleAsync();
        await queued.GetByRole(AriaRole.Button).ClickAsync();
        var conversation = console.GetByRole(AriaRole.Region, new() { Name = "Conversation" });
        await Expect(conversation).ToHaveAttributeAsync("data-session-id", sessionId.ToString());
        await Expect(conversation.Locator(".why-escalated")).ToContainTextAsync("Customer asks for a person");
        await Expect(conversation.Locator("li.entry-user").First).ToContainTextAsync(question);
        await Expect(conversation.Locator("li.entry-user").Last).ToContainTextAsync("Can I talk to a real person please?");

        await conversation.GetByRole(AriaRole.Button, new() { Name = "Take" }).ClickAsync();
        await Expect(conversation.Locator(".conversation-holder")).ToHaveTextAsync("with you");
        await Expect(queued).ToHaveCountAsync(0);
        await Expect(console.Locator($"ul[data-view=queue] li[data-session-id='{sessionId}']")).ToHaveCountAsync(0);

        // The customer sees the agent join, by name.
        await Expect(widget.Frame.Locator("li.msg-joined")).ToContainTextAsync($"{agentName} has joined the chat.");
        await Expect(widget.Frame.Locator("#notice")).ToContainTextAsync($"{agentName} has joined the chat.");

        // Typing, agent to customer, then the reply, live.
        var replyBox = conversation.GetByLabel("Reply to the customer");
        var reply = $"Hi, I am looking into order {suffix} now.";
        await replyBox.PressSequentiallyAsync("Hi, ");
        await Expect(widget.Frame.Locator("#typing")).ToContainTextAsync($"{agentName} is typing");
        await replyBox.FillAsync(reply);
        await replyBox.PressAsync("Enter");
        var agentMessage = widget.Frame.Locator("li.msg-agent");
        await Expect(agentMessage.Locator(".msg-bubble")).ToHaveTextAsync(reply);
        await Expect(agentMessage.Locator(".msg-author")).ToHaveTextAsync(agentName);
        await Expect(conversation.Locator("li.entry-agent .entry-author")).ToHaveTextAsync(agentName);
        await Expect(replyBox).ToHaveValueAsync("");

        // Typing, customer to agent.
        await widget.Input.PressSequentiallyAsync("Thanks");
        await Expect(conversation.Locator(".customer-typing")).ToHaveTextAsync("The customer is typing…");
        await widget.Input.PressAsync("Enter");
        await Expect(conversation.Locator("li.entry-user")).ToHaveCountAsync(2);
        await Expect(conversation.Locator(".customer-typing")).ToHaveTextAsync("");

        // An internal note: in the inbox, marked internal; never in the widget.
        var note = $"Carrier ticket {suffix}: parcel held at depot.";
        await conversation.GetByLabel("Internal note").FillAsync(note);
        await conversation.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Expect(conversation.Locator("li.entry-note")).ToContainTextAsync(note);
        await Expect(conversation.Locator("li.entry-note")).ToContainTextAsync("internal note, never shown to the customer");

        await conversation.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Expect(conversation).ToHaveAttributeAsync("data-status", "resolved");
        await Expect(widget.Frame.Locator("#notice")).ToContainTextAsync("This chat is resolved");
        await Expect(widget.Input).ToBeDisabledAsync();
        await Expect(widget.Input).ToHaveAttributeAsync("placeholder", "This chat is resolved");
        await Expect(widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" })).ToBeVisibleAsync();
        // The note was written before the resolution, whose status event the widget has now shown: had the note
        // reached the stream, it would be here.
        await Expect(widget.Frame.GetByText(note)).ToHaveCountAsync(0);
        await Expect(console.Locator($"ul[data-view=mine] li[data-session-id='{sessionId}']")).ToHaveCountAsync(0);
        await Screenshots.TakeAsync(console, "agent-inbox-resolved", fullPage: true);
        await Screenshots.TakeAsync(store, "widget-resolved-by-agent");

        // A new chat brings the composer back.
        await widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" }).ClickAsync();
        await Expect(widget.Input).ToBeEnabledAsync();
        await Expect(widget.Frame.Locator("li.msg")).ToHaveCountAsync(0);
    }

    [Fact(Timeout = 120_000)]
    public async Task HandingAConversationBackToTheAiLetsTheCustomerAskForAPersonAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (orgId, agent, _) = await CreateDemoAgentAsync(suffix);

        await using var agentContext = await _fixture.NewContextAsync(ct);
        var console = await agentContext.NewPageAsync();
        await OpenInboxAwayAsync(console, orgId, agent);

        await using var customerContext = await _fixture.NewContextAsync(ct);
        var store = await customerContext.NewPageAsync();
        var widget = new Widget(store);
        await store.GotoAsync("/");
        await widget.Launcher.ClickAsync();
        var question = $"Can I change the address of order {suffix}?";
        await widget.AskAsync(question);
        await Expect(widget.CustomerMessages.First).ToHaveAttributeAsync("data-seq", "1");
        var human = widget.Frame.GetByRole(AriaRole.Button, new() { Name = "Talk to a person" });
        await human.ClickAsync();
        await Expect(widget.Frame.GetByRole(AriaRole.Button, new() { Name = "A person is on the way" })).ToBeDisabledAsync();
        var sessionId = await SessionOfAsync(question);

        var queued = console.Locator($"ul[data-view=queue] li[data-session-id='{sessionId}']");
        await queued.GetByRole(AriaRole.Button).ClickAsync();
        var conversation = console.GetByRole(AriaRole.Region, new() { Name = "Conversation" });
        await conversation.GetByRole(AriaRole.Button, new() { Name = "Take" }).ClickAsync();
        await Expect(conversation.Locator(".conversation-holder")).ToHaveTextAsync("with you");
        await conversation.GetByRole(AriaRole.Button, new() { Name = "Hand back to AI" }).ClickAsync();
        await Expect(conversation).ToHaveAttributeAsync("data-status", "active");

        await Expect(widget.Frame.Locator("li.msg-system").Last).ToContainTextAsync("handed this conversation back to our AI assistant");
        await Expect(human).ToBeEnabledAsync();
        await Expect(widget.Input).ToBeEnabledAsync();

        await human.ClickAsync();
        await Expect(widget.Frame.GetByRole(AriaRole.Button, new() { Name = "A person is on the way" })).ToBeDisabledAsync();
        await Expect(console.Locator($"ul[data-view=queue] li[data-session-id='{sessionId}']")).ToBeVisibleAsync();
    }

    /// <summary>Signs in, opens the inbox and sets the agent away (takes allowed, no automatic assignment).</summary>
    private static async Task OpenInboxAwayAsync(IPage page, Guid orgId, ConsoleUser agent)
    {
        var path = $"/console/orgs/{orgId}/inbox";
        await ConsoleAccounts.SignInAsync(page, agent, path);
        await page.Locator(".inbox-header[data-interactive=yes]").WaitForAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Away", Exact = true }).ClickAsync();
        await Expect(page.GetByText("You are away:")).ToBeVisibleAsync();
    }

    /// <summary>An agent of the demo organization (the demo store's widget is its), with a name of this test's own.</summary>
    private async Task<(Guid OrgId, ConsoleUser Agent, string Name)> CreateDemoAgentAsync(string suffix)
    {
        var server = _fixture.Server;
        var email = $"inbox-agent-{suffix}@test.example";
        var name = "Robin " + suffix;
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var (user, errors) = await UserAccounts.CreateAsync(users, email, name, ConsoleAccounts.Password);
        Assert.True(user is not null, "Could not create " + email + ": " + string.Join(" ", errors?.SelectMany(e => e.Value) ?? []));
        await using var db = server.Services.GetRequiredService<SystemDb>().CreateContext();
        var orgId = await db.Organizations.Where(o => o.Slug == DemoData.Slug).Select(o => o.Id).SingleAsync();
        db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = orgId, UserId = user!.Id, Role = OrgRoles.Agent });
        await db.SaveChangesAsync();
        return (orgId, new ConsoleUser(email, ConsoleAccounts.Password, OrgRoles.Agent), name);
    }

    /// <summary>The session whose first message is this test's own question (stored before the widget shows its seq).</summary>
    private async Task<Guid> SessionOfAsync(string question)
    {
        await using var db = _fixture.Server.Services.GetRequiredService<SystemDb>().CreateContext();
        return await db.Messages.Where(m => m.Content == question).Select(m => m.SessionId).SingleAsync();
    }
}
