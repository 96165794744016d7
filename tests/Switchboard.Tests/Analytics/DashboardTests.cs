using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Features.Ai;
using Switchboard.Features.Analytics;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Analytics;

/// <summary>
/// The dashboard's figures from facts written directly (sessions, messages, escalations, assignments, CSAT,
/// agent_analytics rows, article outcomes) in an organization on New York time, over 1-3 November 2026: the range
/// starts on the day daylight saving time ends (a 25-hour local day) and sessions sit on both sides of local
/// midnights. Every expected figure is computed by hand in the comments.
/// </summary>
public abstract class DashboardTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestWorld World => fixture.World;

    private const string Zone = "America/New_York";
    private const string Range = "from=2026-11-01&to=2026-11-03";

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();

    private sealed record Facts(Organization Org, Organization Other, Guid RuleAngry, Guid RuleRefund, KnowledgeArticle Good, KnowledgeArticle Bad, KnowledgeArticle Global);

    /// <summary>An organization with adminA as admin, agentA as agent and memberA as member, and the facts of the class comment.</summary>
    private async Task<Facts> CreateFactsAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Dash " + suffix, Slug = "dash-" + suffix, TimeZone = Zone };
        var other = new Organization { Name = "Other " + suffix, Slug = "other-" + suffix, TimeZone = Zone };
        var agent = World["agentA"].UserId!.Value;
        var admin = World["adminA"].UserId!.Value;
        var angry = new EscalationRule { OrganizationId = org.Id, RuleName = "Angry customer", TriggerConditions = "{}" };
        var refund = new EscalationRule { OrganizationId = org.Id, RuleName = "Refund rule", TriggerConditions = "{}" };
        var good = new KnowledgeArticle { OrganizationId = org.Id, Title = "Returns", Content = "x", EffectivenessScore = 0.8m, UsageCount = 5 };
        var bad = new KnowledgeArticle { OrganizationId = org.Id, Title = "=Shipping", Content = "x", EffectivenessScore = 0.2m, UsageCount = 1 };
        var unused = new KnowledgeArticle { OrganizationId = org.Id, Title = "Never cited", Content = "x", EffectivenessScore = 0.9m };
        var global = new KnowledgeArticle { OrganizationId = null, Title = "Global " + suffix, Content = "x", EffectivenessScore = 0.1m, UsageCount = 7 };

        await using var db = World.Factory.SystemContext();
        db.Organizations.AddRange(org, other);
        await db.SaveChangesAsync(Ct);
        db.OrganizationMembers.AddRange(
            new OrganizationMember { OrganizationId = org.Id, UserId = admin, Role = OrgRoles.Admin },
            new OrganizationMember { OrganizationId = org.Id, UserId = agent, Role = OrgRoles.Agent },
            new OrganizationMember { OrganizationId = org.Id, UserId = World["memberA"].UserId!.Value, Role = OrgRoles.Member },
            new OrganizationMember { OrganizationId = other.Id, UserId = World["adminB"].UserId!.Value, Role = OrgRoles.Admin });
        db.EscalationRules.AddRange(angry, refund);
        db.Knowledge.AddRange(good, bad, unused, global);

        ChatbotSession Session(Organization o, string created, params (string Type, string At)[] messages)
        {
            var s = new ChatbotSession { OrganizationId = o.Id, SessionToken = ChatbotSession.NewToken(), CreatedAt = At(created), UpdatedAt = At(created) };
            db.Sessions.Add(s);
            var seq = 0;
            foreach (var (type, at) in messages)
            {
                seq++;
                db.Messages.Add(new ConversationMessage
                {
                    SessionId = s.Id, MessageType = type, Seq = seq, CreatedAt = At(at), AgentId = type == MessageTypes.Agent ? agent : null,
                    Content = type == MessageTypes.User ? "What is a good recipe for lasagna?" : "reply",
                    AiMetadata = type == MessageTypes.Ai ? new AiMetadata([], 0.1, AiDecisions.NoAnswer, "test", 0, null, null, seq - 1, []).ToJson() : "{}",
                });
            }
            return s;
        }
        SessionEscalation Escalate(ChatbotSession s, string trigger, EscalationRule? rule, string at, string? ended = null, string? outcome = null)
        {
            var e = new SessionEscalation
            {
                OrganizationId = s.OrganizationId, SessionId = s.Id, Reason = "test", Trigger = trigger, RuleId = rule?.Id, RuleName = rule?.RuleName,
                EscalatedAt = At(at), AssignedAgentId = agent, AssignedAt = At(at), EndedAt = ended is null ? null : At(ended), Outcome = outcome,
            };
            db.Escalations.Add(e);
            db.Assignments.Add(new SessionAssignment
            {
                OrganizationId = s.OrganizationId, SessionId = s.Id, EscalationId = e.Id, AgentId = agent, How = AssignmentHow.Auto, AssignedAt = At(at),
                ReleasedAt = e.EndedAt, ReleaseReason = outcome,
            });
            return e;
        }
        const string U = MessageTypes.User, A = MessageTypes.Ai, G = MessageTypes.Agent;

        // Oct 31 23:59 local (EDT, UTC-4): before the range.
        Session(org, "2026-11-01T03:59Z", (U, "2026-11-01T03:59Z"), (A, "2026-11-01T03:59:30Z"));
        // Nov 1 00:30 local: a conversation the AI resolved alone.
        var s1 = Session(org, "2026-11-01T04:30Z", (U, "2026-11-01T04:30Z"), (A, "2026-11-01T04:31Z"));
        // Nov 2 23:30 local (EST, UTC-5): rule "Angry customer"; first answer after 10 minutes, resolved after 60.
        var s3 = Session(org, "2026-11-03T04:30Z", (U, "2026-11-03T04:30Z"), (A, "2026-11-03T04:31Z"), (G, "2026-11-03T04:50Z"));
        Escalate(s3, EscalationTriggers.Rule, angry, "2026-11-03T04:40Z", "2026-11-03T05:40Z", EscalationOutcomes.Resolved);
        // Nov 3 00:30 local: the customer asked for a person; first answer after 20 minutes, resolved after 90.
        var s4 = Session(org, "2026-11-03T05:30Z", (U, "2026-11-03T05:30Z"), (G, "2026-11-03T05:51Z"), (G, "2026-11-03T06:00Z"));
        Escalate(s4, EscalationTriggers.Customer, null, "2026-11-03T05:31Z", "2026-11-03T07:01Z", EscalationOutcomes.Resolved);
        // Nov 3: an agent took over (answer after 0 minutes) and handed back: no resolution.
        var s5 = Session(org, "2026-11-03T12:00Z", (U, "2026-11-03T12:00Z"), (A, "2026-11-03T12:01Z"), (G, "2026-11-03T12:10Z"));
        Escalate(s5, EscalationTriggers.Agent, null, "2026-11-03T12:10Z", "2026-11-03T12:30Z", EscalationOutcomes.HandedBack);
        // Nov 2: no customer message (not a conversation), escalated by "Angry customer", still open and unanswered.
        var s6 = Session(org, "2026-11-02T15:00Z", (A, "2026-11-02T15:00Z"));
        Escalate(s6, EscalationTriggers.Rule, angry, "2026-11-02T15:05Z");
        // Nov 4 00:00 local: after the range.
        Session(org, "2026-11-04T05:00Z", (U, "2026-11-04T05:00Z"), (A, "2026-11-04T05:01Z"));
        // Started before the range, escalated in it ("Refund rule"): answer after 40 minutes, resolved after 120.
        var s8 = Session(org, "2026-10-30T10:00Z", (U, "2026-10-30T10:00Z"), (G, "2026-11-01T10:40Z"));
        Escalate(s8, EscalationTriggers.Rule, refund, "2026-11-01T10:00Z", "2026-11-01T12:00Z", EscalationOutcomes.Resolved);
        // Escalated before the range, resolved in it after 540 minutes (its answer is outside the range's escalations).
        var s9 = Session(org, "2026-10-31T10:00Z", (U, "2026-10-31T10:00Z"), (G, "2026-10-31T20:30Z"));
        Escalate(s9, EscalationTriggers.Rule, angry, "2026-10-31T20:00Z", "2026-11-01T05:00Z", EscalationOutcomes.Resolved);

        db.Csat.AddRange(
            new SessionCsat { OrganizationId = org.Id, SessionId = s1.Id, Score = 4, AgentId = null, CreatedAt = At("2026-11-01T05:00Z") },   // Nov 1
            new SessionCsat { OrganizationId = org.Id, SessionId = s8.Id, Score = 1, AgentId = admin, CreatedAt = At("2026-11-02T12:00Z") },  // Nov 2
            new SessionCsat { OrganizationId = org.Id, SessionId = s3.Id, Score = 5, AgentId = agent, CreatedAt = At("2026-11-03T05:45Z") },  // Nov 3 00:45
            new SessionCsat { OrganizationId = org.Id, SessionId = s4.Id, Score = 2, AgentId = agent, CreatedAt = At("2026-11-03T07:10Z") },  // Nov 3
            new SessionCsat { OrganizationId = org.Id, SessionId = s9.Id, Score = 3, AgentId = agent, CreatedAt = At("2026-11-04T05:00Z") }); // Nov 4: out
        db.AgentAnalytics.AddRange(
            new AgentAnalytics { AgentId = agent, OrganizationId = org.Id, Date = new(2026, 11, 1), ConversationsHandled = 1, AvgResolutionTimeMinutes = 120, AiEscalationsReceived = 1 },
            new AgentAnalytics { AgentId = agent, OrganizationId = org.Id, Date = new(2026, 11, 3), ConversationsHandled = 2, AvgResolutionTimeMinutes = 75, AiEscalationsReceived = 2 },
            new AgentAnalytics { AgentId = agent, OrganizationId = org.Id, Date = new(2026, 11, 4), ConversationsHandled = 9, AvgResolutionTimeMinutes = 1, AiEscalationsReceived = 9 },
            new AgentAnalytics { AgentId = admin, OrganizationId = org.Id, Date = new(2026, 11, 2), ConversationsHandled = 0, AiEscalationsReceived = 1 });
        db.ArticleOutcomes.AddRange(
            new KnowledgeArticleOutcome { OrganizationId = org.Id, ArticleId = good.Id, SessionId = s1.Id, Kind = OutcomeKinds.Session, Positive = true },
            new KnowledgeArticleOutcome { OrganizationId = org.Id, ArticleId = bad.Id, SessionId = s3.Id, Kind = OutcomeKinds.Session, Positive = false },
            new KnowledgeArticleOutcome { OrganizationId = org.Id, ArticleId = global.Id, SessionId = s1.Id, Kind = OutcomeKinds.Session, Positive = true });

        // The other organization: the same kinds of facts in the same days, none of which may show.
        var b1 = Session(other, "2026-11-02T12:00Z", (U, "2026-11-02T12:00Z"), (G, "2026-11-02T12:05Z"));
        Escalate(b1, EscalationTriggers.Customer, null, "2026-11-02T12:01Z", "2026-11-02T12:30Z", EscalationOutcomes.Resolved);
        db.Csat.Add(new SessionCsat { OrganizationId = other.Id, SessionId = b1.Id, Score = 1, AgentId = World["agentB"].UserId!.Value, CreatedAt = At("2026-11-02T13:00Z") });
        db.AgentAnalytics.Add(new AgentAnalytics { AgentId = World["agentB"].UserId!.Value, OrganizationId = other.Id, Date = new(2026, 11, 2), ConversationsHandled = 4, AvgResolutionTimeMinutes = 29 });
        db.ArticleOutcomes.Add(new KnowledgeArticleOutcome { OrganizationId = other.Id, ArticleId = global.Id, SessionId = b1.Id, Kind = OutcomeKinds.Session, Positive = false });
        await db.SaveChangesAsync(Ct);
        return new Facts(org, other, angry.Id, refund.Id, good, bad, global);
    }

    private async Task<DashboardSummary> SummaryAsync(Facts facts, string query = Range)
    {
        var response = await World["adminA"].Client.GetAsync($"/api/orgs/{facts.Org.Id}/analytics/summary?{query}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DashboardSummary>(Ct))!;
    }

    [Fact]
    public async Task TotalsRatesAndDurationsMatchTheHandComputedFiguresInTheOrganizationsTimeZone()
    {
        var facts = await CreateFactsAsync();

        var summary = await SummaryAsync(facts);

        Assert.Equal(new DashboardRange(new(2026, 11, 1), new(2026, 11, 3), Zone), summary.Range);
        Assert.Equal(4, summary.Conversations);   // s1, s3, s4, s5
        Assert.Equal(3, summary.Escalated);       // s3, s4, s5
        Assert.Equal(1, summary.ResolvedByAi);    // s1
        Assert.Equal(0.25, summary.AiResolutionRate);
        Assert.Equal(0.75, summary.EscalationRate);
        // First responses 0, 10, 20, 40 (s6 unanswered): nearest-rank median = 2nd, p90 = 4th.
        Assert.Equal(new DurationStats(4, 10, 40), summary.FirstResponse);
        // Resolutions 60, 90, 120, 540.
        Assert.Equal(new DurationStats(4, 90, 540), summary.Resolution);
        Assert.Equal(3.0, summary.CsatAverage);   // 4, 1, 5, 2
        Assert.Equal(4, summary.CsatCount);
        Assert.Equal(
            [
                new RuleEscalations(facts.RuleAngry, "Angry customer", 2),
                new RuleEscalations(null, AnalyticsDashboard.AgentTookOver, 1),
                new RuleEscalations(null, AnalyticsDashboard.CustomerRequest, 1),
                new RuleEscalations(facts.RuleRefund, "Refund rule", 1),
            ],
            summary.EscalationsByRule);
    }

    [Fact]
    public async Task DailyPointsFollowLocalDaysIncludingTheDaylightSavingChange()
    {
        var facts = await CreateFactsAsync();

        var summary = await SummaryAsync(facts);

        Assert.Equal(
            [
                new DailyPoint(new(2026, 11, 1), 1, 0, 1, 4.0, 1),
                new DailyPoint(new(2026, 11, 2), 1, 1, 0, 1.0, 1),
                new DailyPoint(new(2026, 11, 3), 2, 2, 0, 3.5, 2),
            ],
            summary.Daily);

        // In UTC the same facts fall on other days: s3 (04:30Z) moves to 3 November, and the session of 31 October
        // 23:59 New York time (03:59Z) joins s1 on 1 November.
        var utc = await SummaryAsync(facts, Range + "&timeZone=UTC");
        Assert.Equal("UTC", utc.Range.TimeZone);
        Assert.Equal([2, 0, 3], utc.Daily.Select(d => d.Conversations));
    }

    [Fact]
    public async Task AgentsAndArticlesComeFromTheirRowsAndOutcomesOfThisOrganizationOnly()
    {
        var facts = await CreateFactsAsync();

        var summary = await SummaryAsync(facts);

        Assert.Equal(
            [
                // (120×1 + 75×2) / 3 = 90; CSAT 5 and 2; 1 + 2 escalations received (the 4 November row is outside).
                new AgentFigures(World["agentA"].UserId!.Value, "agentA", 3, 90, 3.5, 2, 3),
                new AgentFigures(World["adminA"].UserId!.Value, "adminA", 0, null, 1.0, 1, 1),
            ],
            summary.Agents);

        // In another time zone the rows' (New York) days do not apply: the agent-days come from the facts, by UTC days.
        // Resolved 1-3 November UTC: s9 (540 min) and s8 (120) on the 1st, s3 (60) and s4 (90) on the 3rd: (330×2 + 75×2) / 4
        // = 202.5; received: s8, s6, s3, s4 (s9 was assigned on 31 October, s5 is a takeover); the admin only has a rating.
        var utc = await SummaryAsync(facts, Range + "&timeZone=UTC");
        Assert.Equal(
            [
                new AgentFigures(World["agentA"].UserId!.Value, "agentA", 4, 202.5, 3.5, 2, 4),
                new AgentFigures(World["adminA"].UserId!.Value, "adminA", 0, null, 1.0, 1, 0),
            ],
            utc.Agents);
        var globalScore = ArticleOutcomes.StoredScore(1, 0); // this organization's outcome only, not the other's
        Assert.InRange(globalScore, 0.21m, 0.79m);
        Assert.Equal(
            [
                new ArticleFigures(facts.Good.Id, "Returns", 0.8m, 5, false),
                new ArticleFigures(facts.Global.Id, facts.Global.Title, globalScore, 7, true),
                new ArticleFigures(facts.Bad.Id, "=Shipping", 0.2m, 1, false),
            ],
            summary.TopArticles);
        Assert.Equal([facts.Bad.Id, facts.Global.Id, facts.Good.Id], summary.WorstArticles.Select(a => a.ArticleId));
        var gap = Assert.Single(summary.Gaps);
        Assert.Equal("What is a good recipe for lasagna?", gap.Example);
        Assert.Equal(3, gap.Count); // the AI's no-answers in s1, s3 and s5 (the others are outside the range or answer no question)
    }

    [Fact]
    public async Task AnotherOrganizationsFactsNeverAppear()
    {
        var facts = await CreateFactsAsync();

        var response = await World["adminB"].Client.GetAsync($"/api/orgs/{facts.Other.Id}/analytics/summary?{Range}", Ct);
        var other = (await response.Content.ReadFromJsonAsync<DashboardSummary>(Ct))!;

        Assert.Equal(1, other.Conversations);
        Assert.Equal([new RuleEscalations(null, AnalyticsDashboard.CustomerRequest, 1)], other.EscalationsByRule);
        Assert.Equal(1, other.CsatCount);
        Assert.Equal([World["agentB"].UserId!.Value], other.Agents.Select(a => a.AgentId));
        Assert.Equal([facts.Global.Id], other.TopArticles.Select(a => a.ArticleId));
        Assert.Equal(ArticleOutcomes.StoredScore(0, 1), other.TopArticles[0].EffectivenessScore);
        Assert.Empty(other.Gaps);
    }

    [Fact]
    public async Task EveryTableDownloadsAsCsvWithAHeaderRowAndAFileName()
    {
        var facts = await CreateFactsAsync();
        async Task<(string Text, string? Name, string? Type)> Csv(string table)
        {
            var response = await World["adminA"].Client.GetAsync($"/api/orgs/{facts.Org.Id}/analytics/{table}.csv?{Range}", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadAsStringAsync(Ct), response.Content.Headers.ContentDisposition?.FileName,
                response.Content.Headers.ContentType?.MediaType);
        }

        var daily = await Csv("daily");
        Assert.Equal("switchboard-daily-2026-11-01-2026-11-03.csv", daily.Name);
        Assert.Equal("text/csv", daily.Type);
        Assert.Equal(
            "date,conversations,escalated,resolved_by_ai,csat_average,csat_count\r\n" +
            "2026-11-01,1,0,1,4,1\r\n2026-11-02,1,1,0,1,1\r\n2026-11-03,2,2,0,3.5,2\r\n", daily.Text);

        var rules = await Csv("rules");
        Assert.Equal(
            "rule_id,rule_name,escalations\r\n" +
            $"{facts.RuleAngry},Angry customer,2\r\n,Agent took over,1\r\n,Customer request,1\r\n{facts.RuleRefund},Refund rule,1\r\n", rules.Text);

        var agents = await Csv("agents");
        Assert.Equal(
            "agent_id,display_name,conversations_handled,avg_resolution_minutes,csat_average,csat_count,ai_escalations_received\r\n" +
            $"{World["agentA"].UserId},agentA,3,90,3.5,2,3\r\n{World["adminA"].UserId},adminA,0,,1,1,1\r\n", agents.Text);

        var articles = (await Csv("articles")).Text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("list,rank,article_id,title,effectiveness_score,usage_count,is_global", articles[0]);
        Assert.Equal($"top,1,{facts.Good.Id},Returns,0.8,5,false", articles[1]);
        // A title a spreadsheet would run as a formula is quoted and escaped.
        Assert.Equal($"top,3,{facts.Bad.Id},\"'=Shipping\",0.2,1,false", articles[3]);
        Assert.Equal(7, articles.Length);

        var gaps = (await Csv("gaps")).Text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("example,count,last_seen", gaps[0]);
        Assert.StartsWith("What is a good recipe for lasagna?,3,2026-11-03T12:01:00", gaps[1]);
    }

    [Fact]
    public async Task WithoutARangeTheLast30LocalDaysInTheOrganizationsZoneAreShown()
    {
        var facts = await CreateFactsAsync();

        var summary = await SummaryAsync(facts, "");

        var today = TimeZones.LocalDate(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(Zone));
        Assert.Equal(Zone, summary.Range.TimeZone);
        Assert.InRange(summary.Range.To.DayNumber, today.DayNumber - 1, today.DayNumber); // the test may straddle midnight
        Assert.Equal(summary.Range.To.AddDays(-29), summary.Range.From);
        Assert.Equal(30, summary.Daily.Count);
    }

    [Theory]
    [InlineData("from=2026-11-05&to=2026-11-01", "from")]
    [InlineData("from=2025-01-01&to=2026-01-02", "to")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-02-30", "to")]
    [InlineData("from=2026-11-01&to=2026-11-03&timeZone=Mars/Olympus_Mons", "timeZone")]
    public async Task BadRangesAreRefusedNamingTheField(string query, string field)
    {
        var facts = await CreateFactsAsync();

        foreach (var path in new[] { "summary", "daily.csv" })
        {
            var response = await World["adminA"].Client.GetAsync($"/api/orgs/{facts.Org.Id}/analytics/{path}?{query}", Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{path}?{query} should name {field}");
        }
    }

    [Fact]
    public async Task AnUnknownCsvTableIsNotFound()
    {
        var facts = await CreateFactsAsync();

        var response = await World["adminA"].Client.GetAsync($"/api/orgs/{facts.Org.Id}/analytics/secrets.csv", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("adminA", HttpStatusCode.OK)]
    [InlineData("agentA", HttpStatusCode.Forbidden)]
    [InlineData("memberA", HttpStatusCode.Forbidden)]
    [InlineData("adminB", HttpStatusCode.NotFound)]
    [InlineData("customer", HttpStatusCode.NotFound)]
    [InlineData("platformAdmin", HttpStatusCode.NotFound)]
    [InlineData("anonymous", HttpStatusCode.Unauthorized)]
    public async Task OnlyTheOrganizationsAdminsSeeTheDashboard(string actor, HttpStatusCode expected)
    {
        var facts = await CreateFactsAsync();

        foreach (var path in new[] { "summary", "daily.csv", "rules.csv", "agents.csv", "articles.csv", "gaps.csv" })
        {
            var response = await World[actor].Client.GetAsync($"/api/orgs/{facts.Org.Id}/analytics/{path}?{Range}", Ct);
            Assert.True(expected == response.StatusCode, $"{actor} GET {path}: expected {(int)expected}, got {(int)response.StatusCode}");
            if (expected != HttpStatusCode.OK) Assert.DoesNotContain("Angry customer", await response.Content.ReadAsStringAsync(Ct));
        }
    }
}

public sealed class SqliteDashboardTests(WorldFixture<SqliteFactory> fixture) : DashboardTests<SqliteFactory>(fixture);

public sealed class PostgresDashboardTests(WorldFixture<PostgresFactory> fixture) : DashboardTests<PostgresFactory>(fixture);
