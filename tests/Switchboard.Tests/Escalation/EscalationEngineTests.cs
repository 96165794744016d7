using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Ai;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Widget;

namespace Switchboard.Tests.Escalation;

/// <summary>
/// The rules on the message path, end to end: a widget message is stored, the rules run with the real
/// detectors and the AI's real confidence, and a rule that fires escalates (status, system message with the
/// rule and reason in ai_metadata, escalation row) instead of an AI answer.
/// </summary>
public abstract class EscalationEngineTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Organization> OrganizationAsync(params EscalationRule[] rules)
    {
        var (org, _) = await WidgetAi.CreateOrganizationAsync(factory, ShopKnowledge.Articles);
        await using var db = factory.SystemContext();
        foreach (var rule in rules) rule.OrganizationId = org.Id;
        db.EscalationRules.AddRange(rules);
        await db.SaveChangesAsync(Ct);
        return org;
    }

    private async Task<(Guid Id, string Token)> SessionAsync(Organization org, object? context = null)
    {
        var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken(), CustomerContext = JsonSerializer.Serialize(context ?? new { }) };
        await using var db = factory.SystemContext();
        db.Sessions.Add(session);
        await db.SaveChangesAsync(Ct);
        return (session.Id, session.SessionToken);
    }

    /// <summary>Posts a customer message and waits (bounded) until the server has dealt with it: an AI answer or an escalation.</summary>
    private async Task<List<MessageResponse>> SayAsync(string token, string content)
    {
        var client = factory.CreateClient();
        var posted = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/messages", new { clientMessageId = Guid.NewGuid().ToString("N"), content }, Ct);
        posted.EnsureSuccessStatusCode();
        var seq = (await posted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("seq").GetInt64();
        for (var i = 0; i < 600; i++)
        {
            var messages = (await client.GetFromJsonAsync<Messages>($"/api/widget/sessions/{token}/messages", Ct))!.List;
            if (messages.Any(m => m.Seq > seq && m.MessageType is MessageTypes.Ai or MessageTypes.System)) return messages;
            await Task.Delay(50, Ct);
        }
        throw new TimeoutException($"No answer and no escalation for \"{content}\".");
    }

    private async Task<string?> StatusAsync(Guid sessionId)
    {
        await using var db = factory.SystemContext();
        return await db.Sessions.Where(s => s.Id == sessionId).Select(s => s.Status).SingleAsync(Ct);
    }

    private static JsonElement Escalation(List<MessageResponse> messages) =>
        messages.Last(m => m.MessageType == MessageTypes.System && m.AiMetadata?.TryGetProperty("escalation", out _) == true).AiMetadata!.Value.GetProperty("escalation");

    [Theory]
    [InlineData("Can I talk to a real person please?")]
    [InlineData("i want a human, not a bot")]
    [InlineData("Please connect me with someone from your support team")]
    public async Task Asking_for_a_person_in_words_escalates_by_the_default_rule_and_the_ai_stays_silent(string request)
    {
        var org = await OrganizationAsync([.. DefaultEscalationRules.For(Guid.Empty)]);
        var (session, token) = await SessionAsync(org);

        var messages = await SayAsync(token, request);

        Assert.Equal(SessionStatus.Escalated, await StatusAsync(session));
        Assert.DoesNotContain(messages, m => m.MessageType == MessageTypes.Ai);
        var escalation = Escalation(messages);
        Assert.Equal(DefaultEscalationRules.HumanRequest, escalation.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal(5, escalation.GetProperty("priority").GetInt32());
        Assert.Contains("person", escalation.GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
        await using var db = factory.SystemContext();
        var row = await db.Escalations.AsNoTracking().SingleAsync(e => e.SessionId == session, Ct);
        Assert.Equal(DefaultEscalationRules.HumanRequest, row.RuleName);

        // After escalation the AI stays silent, whatever the customer says next.
        var conversations = factory.Services.GetRequiredService<ConversationService>();
        var client = factory.CreateClient();
        var next = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/messages", new { clientMessageId = "after", content = "How long does shipping take?" }, Ct);
        var seq = (await next.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("seq").GetInt64();
        Assert.Null(await conversations.ReplyAsync(session, seq, Ct));
        Assert.False(await db.Messages.AnyAsync(m => m.SessionId == session && m.MessageType == MessageTypes.Ai, Ct));
    }

    [Fact]
    public async Task An_ordinary_question_is_answered_by_the_ai_and_nothing_escalates()
    {
        var org = await OrganizationAsync([.. DefaultEscalationRules.For(Guid.Empty)]);
        var (session, token) = await SessionAsync(org);
        var messages = await SayAsync(token, "How long does shipping take?");
        Assert.Contains(messages, m => m.MessageType == MessageTypes.Ai);
        Assert.Equal(SessionStatus.Active, await StatusAsync(session));
    }

    [Fact]
    public async Task A_keyword_matches_whole_words_without_case_or_accents_and_the_higher_priority_rule_wins()
    {
        var low = new EscalationRule { RuleName = "Refunds", TriggerKeywords = ["remboursement", "refund"], PriorityLevel = 2, AgentAssignmentLogic = """{"strategy":"least_busy"}""" };
        var high = new EscalationRule { RuleName = "Enterprise refunds", TriggerKeywords = ["refund"], TriggerConditions = """{"customer_context":{"plan":"enterprise"}}""", PriorityLevel = 4 };
        var org = await OrganizationAsync(low, high);

        var (plain, plainToken) = await SessionAsync(org, new { plan = "free" });
        Assert.Contains(await SayAsync(plainToken, "Do you do refunded orders?"), m => m.MessageType == MessageTypes.Ai); // "refunded" is not "refund"
        Assert.Equal(SessionStatus.Active, await StatusAsync(plain));
        Assert.Equal("Refunds", Escalation(await SayAsync(plainToken, "Je veux un REMBOURSÉMENT!")).GetProperty("rule").GetProperty("name").GetString());

        var (enterprise, enterpriseToken) = await SessionAsync(org, new { plan = "Enterprise" });
        var escalation = Escalation(await SayAsync(enterpriseToken, "I need a refund for order 1234"));
        Assert.Equal("Enterprise refunds", escalation.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal(4, escalation.GetProperty("priority").GetInt32());
        Assert.Equal(SessionStatus.Escalated, await StatusAsync(enterprise));
    }

    [Fact]
    public async Task Consecutive_low_confidence_answers_escalate_on_the_nth_instead_of_answering_again()
    {
        var rule = new EscalationRule { RuleName = "Struggling", TriggerConditions = """{"consecutive_low_confidence":2,"confidence_below":1}""", PriorityLevel = 3 };
        var org = await OrganizationAsync(rule);
        var (session, token) = await SessionAsync(org);

        // Questions the shop's knowledge does not cover: the AI's confidence stays low.
        var first = await SayAsync(token, "Do you sell gift cards for birthdays?");
        var answer = Assert.Single(first, m => m.MessageType == MessageTypes.Ai);
        Assert.True(answer.AiMetadata!.Value.GetProperty("confidence").GetDouble() < 1, answer.AiMetadata.Value.GetRawText());
        Assert.Equal(SessionStatus.Active, await StatusAsync(session));

        var second = await SayAsync(token, "Can I pay with bitcoin?");
        Assert.Single(second, m => m.MessageType == MessageTypes.Ai); // no second answer
        Assert.Equal(SessionStatus.Escalated, await StatusAsync(session));
        Assert.Contains("confidence", Escalation(second).GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_inactive_rule_never_fires()
    {
        var rule = new EscalationRule { RuleName = "Off", TriggerKeywords = ["shipping"], PriorityLevel = 5, IsActive = false };
        var org = await OrganizationAsync(rule);
        var (session, token) = await SessionAsync(org);
        Assert.Contains(await SayAsync(token, "How long does shipping take?"), m => m.MessageType == MessageTypes.Ai);
        Assert.Equal(SessionStatus.Active, await StatusAsync(session));
    }

    private sealed record Messages(List<MessageResponse> List)
    {
        [System.Text.Json.Serialization.JsonPropertyName("messages")]
        public List<MessageResponse> List { get; init; } = List;
    }
}

public sealed class SqliteEscalationEngineTests(SqliteAiFactory factory) : EscalationEngineTests<SqliteAiFactory>(factory);

public sealed class PostgresEscalationEngineTests(PostgresAiFactory factory) : EscalationEngineTests<PostgresAiFactory>(factory);
