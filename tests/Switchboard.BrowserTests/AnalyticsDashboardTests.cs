using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Switchboard.BrowserTests.Infrastructure;
using Switchboard.Data;
using Switchboard.Features.Analytics;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>
/// The console's analytics page (/console/orgs/{id}/analytics) on a test's own organization (time zone UTC) whose
/// conversations, escalations, agent turns and ratings are written straight into the demo server's database, two and
/// one days ago, so the default period (the last 30 days) holds them all; agent_analytics comes from the real live
/// updater (AgentAnalyticsUpdater), as after the events themselves.
/// </summary>
public sealed class AnalyticsDashboardTests
{
    private readonly BrowserFixture _fixture;

    public AnalyticsDashboardTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        SetDefaultExpectTimeout(20_000);
    }

    [Fact(Timeout = 120_000)]
    public async Task AnAdminSeesTheSeededFiguresTheChartsRenderAndEveryTablesCsvDownloadsWithItsRows()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);
        var seeded = await SeedAsync(org, ct);

        await using var context = await _fixture.NewContextAsync(ct, new() { AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Admin, $"/console/orgs/{org.Id}/analytics");
        await page.Locator(".analytics-title[data-interactive=yes]").WaitForAsync();

        // Headline figures: 4 conversations, 2 answered by the AI alone, 2 escalated; first agent replies after 4 and
        // 10 minutes, resolutions after 20 and 40 (nearest-rank median and p90 of two); ratings 5 and 4.
        await Expect(Figure(page, "conversations")).ToHaveTextAsync("4");
        await Expect(Figure(page, "ai-resolution-rate")).ToHaveTextAsync("50 %");
        await Expect(Figure(page, "escalation-rate")).ToHaveTextAsync("50 %");
        await Expect(Figure(page, "first-response")).ToHaveTextAsync("4 min / 10 min");
        await Expect(Figure(page, "resolution")).ToHaveTextAsync("20 min / 40 min");
        await Expect(Figure(page, "csat")).ToHaveTextAsync("4.5 / 5");
        await Expect(page.Locator("[data-figure=csat] .figure-detail")).ToHaveTextAsync("2 rating(s)");

        // The charts are drawn (SVG paths), the by-rule table names both causes, the agent's row adds up.
        foreach (var chart in new[] { "#daily-chart", "#rules-chart", "#csat-chart" })
        {
            Assert.True(await page.Locator($"{chart} svg path").CountAsync() > 0, $"{chart} draws paths.");
        }
        await Expect(page.Locator(".rules-table tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator(".rules-table")).ToContainTextAsync("Angry customer");
        await Expect(page.Locator(".rules-table")).ToContainTextAsync(AnalyticsDashboard.CustomerRequest);
        var agentRow = page.Locator($"tr[data-agent-id='{seeded.AgentId}'] td");
        await Expect(agentRow).ToHaveTextAsync([seeded.AgentName, "2", "26.5 min", "4 (1)", "2"]);
        await Expect(page.Locator(".analytics-gaps .table-empty")).ToHaveTextAsync("No unanswered questions in this period.");
        await Expect(page.Locator(".analytics-top-articles .table-empty")).ToHaveTextAsync("No article has outcomes yet.");
        await Screenshots.TakeAsync(page, "analytics-dashboard", fullPage: true);

        // Every table's CSV of the period shown, from its "Download CSV" link: the console's cookie signs the API request.
        var lines = await DownloadAsync(page, "daily", ct);
        Assert.Equal("date,conversations,escalated,resolved_by_ai,csat_average,csat_count", lines[0]);
        Assert.Equal(AnalyticsDashboard.DefaultDays + 1, lines.Count);
        Assert.Contains($"{Day(seeded.Day1)},2,0,2,5,1", lines);
        Assert.Contains($"{Day(seeded.Day2)},2,2,0,4,1", lines);
        Assert.Contains($"{Day(seeded.Day2.AddDays(1))},0,0,0,,0", lines);

        lines = await DownloadAsync(page, "rules", ct);
        Assert.Equal("rule_id,rule_name,escalations", lines[0]);
        Assert.Equal(3, lines.Count);
        Assert.Contains(lines, l => l.EndsWith(",Angry customer,1", StringComparison.Ordinal));

        lines = await DownloadAsync(page, "agents", ct);
        Assert.Equal(["agent_id,display_name,conversations_handled,avg_resolution_minutes,csat_average,csat_count,ai_escalations_received",
            $"{seeded.AgentId},{seeded.AgentName},2,26.5,4,1,2"], lines);

        Assert.Equal(["list,rank,article_id,title,effectiveness_score,usage_count,is_global"], await DownloadAsync(page, "articles", ct));
        Assert.Equal(["example,count,last_seen"], await DownloadAsync(page, "gaps", ct));
    }

    /// <summary>Clicks the (first) "Download CSV" link of the table; the downloaded file's non-empty lines.</summary>
    private static async Task<List<string>> DownloadAsync(IPage page, string table, CancellationToken ct)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator($"a.csv-{table}").First.ClickAsync());
        Assert.Contains(table, download.SuggestedFilename, StringComparison.Ordinal);
        return [.. (await File.ReadAllLinesAsync(await download.PathAsync(), ct)).Where(l => l.Length > 0)];
    }

    [Fact(Timeout = 120_000)]
    public async Task AnOrganizationWithoutConversationsShowsEmptyStatesAndAnAgentIsToldOnlyAdminsSeeTheDashboard()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);

        await using var context = await _fixture.NewContextAsync(ct);
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Admin, $"/console/orgs/{org.Id}/analytics");
        await page.Locator(".analytics-title[data-interactive=yes]").WaitForAsync();
        await Expect(page.Locator(".analytics-empty")).ToContainTextAsync("No conversations in this period yet.");
        await Expect(Figure(page, "ai-resolution-rate")).ToHaveTextAsync("—");
        await Expect(page.Locator("#daily-chart .chart-empty")).ToHaveTextAsync("No conversations in this period.");
        await Expect(page.Locator("#rules-chart .chart-empty")).ToHaveTextAsync("No escalations in this period.");
        await Expect(page.Locator(".analytics-agents .table-empty")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Banner).GetByRole(AriaRole.Link, new() { Name = "Analytics", Exact = true })).ToBeVisibleAsync();

        await using var agentContext = await _fixture.NewContextAsync(ct);
        var agentPage = await agentContext.NewPageAsync();
        await ConsoleAccounts.SignInAsync(agentPage, org.Agent, $"/console/orgs/{org.Id}/analytics");
        await Expect(agentPage.GetByText("Only organization admins see the dashboard.")).ToBeVisibleAsync();
        await Expect(agentPage.Locator("[data-figure]")).ToHaveCountAsync(0);
    }

    private static ILocator Figure(IPage page, string key) => page.Locator($"[data-figure={key}] .figure-value");

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private sealed record Seeded(DateOnly Day1, DateOnly Day2, Guid AgentId, string AgentName);

    /// <summary>
    /// Day 1 (two days ago): two chats the AI answered alone, one rated 5 (the AI's). Day 2 (yesterday): a rule's and a
    /// customer's escalation, both taken and resolved by the organization's agent, the first rated 4. And a session
    /// without a customer message, which is no conversation.
    /// </summary>
    private async Task<Seeded> SeedAsync(ConsoleOrganization org, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var day1 = today.AddDays(-2);
        var day2 = today.AddDays(-1);
        DateTimeOffset At(DateOnly day, int hour, int minute) => new(day.ToDateTime(new TimeOnly(hour, minute)), TimeSpan.Zero);

        await using var db = _fixture.Server.Services.GetRequiredService<SystemDb>().CreateContext();
        var agent = await db.Users.Where(u => u.Email == org.Agent.Email).Select(u => new { u.Id, u.DisplayName }).SingleAsync(ct);

        ChatbotSession Session(DateTimeOffset createdAt, string status, params (string Type, DateTimeOffset At)[] messages)
        {
            var session = new ChatbotSession
            {
                OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken(), Status = status, CreatedAt = createdAt, UpdatedAt = createdAt,
            };
            var seq = 0;
            foreach (var (type, at) in messages)
            {
                session.Messages.Add(new ConversationMessage
                {
                    MessageType = type, Content = $"{type} message {seq + 1}", CreatedAt = at, Seq = ++seq,
                    AgentId = type == MessageTypes.Agent ? agent.Id : null,
                });
            }
            db.Sessions.Add(session);
            return session;
        }

        var ai1 = Session(At(day1, 10, 0), SessionStatus.Active, (MessageTypes.User, At(day1, 10, 0)), (MessageTypes.Ai, At(day1, 10, 1)));
        Session(At(day1, 15, 0), SessionStatus.Active, (MessageTypes.User, At(day1, 15, 0)), (MessageTypes.Ai, At(day1, 15, 1)));
        var rule = Session(At(day2, 8, 55), SessionStatus.Resolved,
            (MessageTypes.User, At(day2, 8, 55)), (MessageTypes.System, At(day2, 9, 0)), (MessageTypes.Agent, At(day2, 9, 4)));
        var customer = Session(At(day2, 10, 58), SessionStatus.Resolved,
            (MessageTypes.User, At(day2, 10, 58)), (MessageTypes.System, At(day2, 11, 0)), (MessageTypes.Agent, At(day2, 11, 10)));
        Session(At(day2, 12, 0), SessionStatus.Active, (MessageTypes.System, At(day2, 12, 0)));

        void Escalation(ChatbotSession session, string trigger, string? ruleName, DateTimeOffset escalatedAt, DateTimeOffset assignedAt, DateTimeOffset endedAt)
        {
            var escalation = new SessionEscalation
            {
                OrganizationId = org.Id, SessionId = session.Id, RuleName = ruleName, Reason = "seeded", Trigger = trigger,
                EscalatedAt = escalatedAt, AssignedAgentId = agent.Id, AssignedAt = assignedAt, EndedAt = endedAt,
                Outcome = EscalationOutcomes.Resolved, EndedBy = agent.Id,
            };
            db.Escalations.Add(escalation);
            db.Assignments.Add(new SessionAssignment
            {
                OrganizationId = org.Id, SessionId = session.Id, EscalationId = escalation.Id, AgentId = agent.Id, How = AssignmentHow.Taken,
                AssignedAt = assignedAt, ReleasedAt = endedAt, ReleaseReason = EscalationOutcomes.Resolved,
            });
        }

        // First replies after 4 and 10 minutes; resolutions 20 and 40 minutes after escalating, 18 and 35 after the agent took them.
        Escalation(rule, EscalationTriggers.Rule, "Angry customer", At(day2, 9, 0), At(day2, 9, 2), At(day2, 9, 20));
        Escalation(customer, EscalationTriggers.Customer, null, At(day2, 11, 0), At(day2, 11, 5), At(day2, 11, 40));
        db.Csat.Add(new SessionCsat { OrganizationId = org.Id, SessionId = ai1.Id, Score = 5, CreatedAt = At(day1, 10, 5) });
        db.Csat.Add(new SessionCsat { OrganizationId = org.Id, SessionId = rule.Id, Score = 4, Comment = "Quick", AgentId = agent.Id, CreatedAt = At(day2, 9, 25) });
        await db.SaveChangesAsync(ct);

        var analytics = _fixture.Server.Services.GetRequiredService<AgentAnalyticsUpdater>();
        await analytics.SessionChangedAsync(rule.Id, ct);
        await analytics.SessionChangedAsync(customer.Id, ct);
        return new Seeded(day1, day2, agent.Id, agent.DisplayName);
    }
}
