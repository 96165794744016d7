using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Ai;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Widget;

/// <summary>The server with the AI answering customers, as `dotnet run` has it.</summary>
public sealed class SqliteAiFactory : SqliteFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Ai:AutoReply"] = "true";
}

public sealed class PostgresAiFactory : PostgresFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Ai:AutoReply"] = "true";
}

/// <summary>
/// The customer's whole path over HTTP: a widget question is stored, answered by the real pipeline
/// (MiniLM, the organization's calibrated index, the extractive answerer), streamed as tokens on the
/// event stream, and stored with its ai_metadata.
/// </summary>
public abstract class WidgetAiReplyTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AQuestionIsAnsweredTokenByTokenOnTheStreamAndStoredWithItsSource()
    {
        var (org, articles) = await WidgetAi.CreateOrganizationAsync(factory, ShopKnowledge.Articles);
        var shipping = articles.Single(a => a.Title == "Shipping times and costs");
        var client = factory.CreateClient();
        var token = await WidgetAi.StartAsync(client, org);
        using var stream = await WidgetAi.OpenEventsAsync(client, token);

        await WidgetAi.PostAsync(client, token, "How long does shipping take?");

        var (tokens, answer) = await WidgetAi.ReadAnswerAsync(stream);
        Assert.NotEmpty(tokens);
        Assert.All(tokens, t => Assert.Equal(1, t.GetProperty("replyTo").GetInt64()));
        var message = JsonDocument.Parse(answer.Data).RootElement;
        Assert.Equal("2", answer.Id);
        Assert.Equal(WidgetAi.Streamed(tokens), message.GetProperty("content").GetString());
        Assert.Contains("3-5 business days", message.GetProperty("content").GetString(), StringComparison.Ordinal);
        var metadata = message.GetProperty("aiMetadata");
        Assert.Equal(AiDecisions.Answer, metadata.GetProperty("decision").GetString());
        Assert.Equal(1, metadata.GetProperty("replyTo").GetInt64());
        var source = Assert.Single(metadata.GetProperty("sources").EnumerateArray());
        Assert.Equal(shipping.Id, source.GetProperty("articleId").GetGuid());
        Assert.Equal(shipping.Title, source.GetProperty("title").GetString());

        // History after a reload says the same.
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/widget/sessions/{token}/messages", Ct);
        var stored = history.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "ai"], stored.Select(m => m.GetProperty("messageType").GetString()));
        Assert.Equal(message.GetProperty("content").GetString(), stored[1].GetProperty("content").GetString());
        Assert.Equal(shipping.Id, stored[1].GetProperty("aiMetadata").GetProperty("sources")[0].GetProperty("articleId").GetGuid());
    }

    [Fact]
    public async Task AQuestionTheKnowledgeCannotAnswerGetsAnHonestIDontKnowCitingNothing()
    {
        var (org, _) = await WidgetAi.CreateOrganizationAsync(factory, ShopKnowledge.Articles);
        var client = factory.CreateClient();
        var token = await WidgetAi.StartAsync(client, org);
        using var stream = await WidgetAi.OpenEventsAsync(client, token);

        await WidgetAi.PostAsync(client, token, "Can you recommend a good lasagna recipe?");

        var (_, answer) = await WidgetAi.ReadAnswerAsync(stream);
        var message = JsonDocument.Parse(answer.Data).RootElement;
        Assert.Equal(ConversationPipeline.NoAnswerText, message.GetProperty("content").GetString());
        Assert.Equal(AiDecisions.NoAnswer, message.GetProperty("aiMetadata").GetProperty("decision").GetString());
        Assert.Empty(message.GetProperty("aiMetadata").GetProperty("sources").EnumerateArray());
    }

    [Fact]
    public async Task AnotherOrganizationsKnowledgeIsNeverRetrievedNorQuoted()
    {
        var (other, otherArticles) = await WidgetAi.CreateOrganizationAsync(factory,
            ("Platypus club", "The platypus club meets every Tuesday at 7 pm in the harbour office, room 12."));
        var (org, _) = await WidgetAi.CreateOrganizationAsync(factory, ShopKnowledge.Articles);
        var client = factory.CreateClient();
        var token = await WidgetAi.StartAsync(client, org);
        var otherToken = await WidgetAi.StartAsync(client, other);
        using var stream = await WidgetAi.OpenEventsAsync(client, token);
        using var otherStream = await WidgetAi.OpenEventsAsync(client, otherToken);

        await WidgetAi.PostAsync(client, token, "When does the platypus club meet?");
        await WidgetAi.PostAsync(client, otherToken, "When does the platypus club meet?");

        var (_, answer) = await WidgetAi.ReadAnswerAsync(stream);
        var message = JsonDocument.Parse(answer.Data).RootElement;
        var metadata = message.GetProperty("aiMetadata");
        var seen = metadata.GetProperty("retrieved").EnumerateArray().Select(r => r.GetProperty("articleId").GetGuid())
            .Concat(metadata.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("articleId").GetGuid()));
        Assert.DoesNotContain(otherArticles[0].Id, seen);
        Assert.DoesNotContain("harbour", message.GetProperty("content").GetString(), StringComparison.OrdinalIgnoreCase);
        // The same question in the organization that owns the article is answered from it.
        var (_, own) = await WidgetAi.ReadAnswerAsync(otherStream);
        var ownMetadata = JsonDocument.Parse(own.Data).RootElement.GetProperty("aiMetadata");
        Assert.Equal(otherArticles[0].Id, ownMetadata.GetProperty("sources")[0].GetProperty("articleId").GetGuid());
    }

    [Fact]
    public async Task ARetriedMessageIsAnsweredOnce()
    {
        var (org, _) = await WidgetAi.CreateOrganizationAsync(factory, ShopKnowledge.Articles);
        var client = factory.CreateClient();
        var token = await WidgetAi.StartAsync(client, org);
        using var stream = await WidgetAi.OpenEventsAsync(client, token);

        await WidgetAi.PostAsync(client, token, "Which cards do you accept?", clientMessageId: "retry-me");
        await WidgetAi.PostAsync(client, token, "Which cards do you accept?", clientMessageId: "retry-me");
        await WidgetAi.ReadAnswerAsync(stream);
        // A second question proves the queue moved on; a second answer to the first would come before it.
        await WidgetAi.PostAsync(client, token, "How do I reset my password?");
        var (_, second) = await WidgetAi.ReadAnswerAsync(stream);

        Assert.Equal("4", second.Id);
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/widget/sessions/{token}/messages", Ct);
        Assert.Equal(["user", "ai", "user", "ai"],
            history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("messageType").GetString()));
    }
}

public sealed class SqliteWidgetAiReplyTests(SqliteAiFactory factory) : WidgetAiReplyTests<SqliteAiFactory>(factory)
{
    [Fact]
    public async Task AMessageStoredBeforeARestartIsAnsweredAfterIt()
    {
        // The first server stores the question but does not answer (as if it crashed right after the 201).
        string token;
        Organization org;
        await using (var silent = new SqliteFactory())
        {
            await silent.InitializeAsync();
            (org, _) = await WidgetAi.CreateOrganizationAsync(silent, ShopKnowledge.Articles);
            var client = silent.CreateClient();
            token = await WidgetAi.StartAsync(client, org);
            await WidgetAi.PostAsync(client, token, "How long does shipping take?");

            await using var restarted = new RestartedAiFactory(silent);
            await restarted.InitializeAsync();
            var again = restarted.CreateClient();
            using var stream = await WidgetAi.OpenEventsAsync(again, token);

            var (_, answer) = await WidgetAi.ReadAnswerAsync(stream);
            var message = JsonDocument.Parse(answer.Data).RootElement;
            Assert.Equal("2", answer.Id);
            Assert.Equal(1, message.GetProperty("aiMetadata").GetProperty("replyTo").GetInt64());
            Assert.Equal(AiDecisions.Answer, message.GetProperty("aiMetadata").GetProperty("decision").GetString());
        }
    }

    private sealed class RestartedAiFactory(SqliteFactory sameDatabase) : SqliteFactory(sameDatabase)
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["Ai:AutoReply"] = "true";
    }
}

public sealed class PostgresWidgetAiReplyTests(PostgresAiFactory factory) : WidgetAiReplyTests<PostgresAiFactory>(factory);

/// <summary>Steps of a widget conversation with the AI, shared by the HTTP tests of its answers.</summary>
internal static class WidgetAi
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new organization with these articles, indexed (and calibrated) before it returns.</summary>
    public static async Task<(Organization Org, List<KnowledgeArticle> Articles)> CreateOrganizationAsync(
        SwitchboardFactory factory, params (string Title, string Content)[] articles)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = new Organization { Name = "Shop " + suffix, Slug = "shop-" + suffix };
        var rows = articles.Select(a => new KnowledgeArticle { OrganizationId = org.Id, Title = a.Title, Content = a.Content }).ToList();
        await using (var db = factory.SystemContext())
        {
            db.Organizations.Add(org);
            db.Knowledge.AddRange(rows);
            await db.SaveChangesAsync(Ct);
        }
        await factory.Services.GetRequiredService<KnowledgeIndexer>().IndexAsync([.. rows.Select(r => r.Id)], null, Ct);
        return (org, rows);
    }

    public static async Task<string> StartAsync(HttpClient client, Organization org)
    {
        var response = await client.PostAsJsonAsync("/api/widget/sessions", new { orgKey = org.WidgetKey }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("sessionToken").GetString()!;
    }

    public static async Task PostAsync(HttpClient client, string token, string content, string? clientMessageId = null)
    {
        var response = await client.PostAsJsonAsync($"/api/widget/sessions/{token}/messages",
            new { clientMessageId = clientMessageId ?? Guid.NewGuid().ToString("N"), content }, Ct);
        response.EnsureSuccessStatusCode();
    }

    public static async Task<SseReader> OpenEventsAsync(HttpClient client, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/widget/sessions/{token}/events");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        response.EnsureSuccessStatusCode();
        return new SseReader(await response.Content.ReadAsStreamAsync(Ct));
    }

    /// <summary>Reads the stream up to the next AI message: the token events before it, and the message.</summary>
    public static async Task<(List<JsonElement> Tokens, ServerSentEvent Answer)> ReadAnswerAsync(SseReader stream)
    {
        var tokens = new List<JsonElement>();
        while (true)
        {
            var next = await stream.NextAsync(Wait, e => e.Event is "token" or "message");
            if (next.Event == "token")
            {
                tokens.Add(JsonDocument.Parse(next.Data).RootElement.Clone());
            }
            else if (JsonDocument.Parse(next.Data).RootElement.GetProperty("messageType").GetString() == MessageTypes.Ai)
            {
                return (tokens, next);
            }
        }
    }

    /// <summary>What a widget shows from the token events: the deltas, restarted at every reset.</summary>
    public static string Streamed(IEnumerable<JsonElement> tokens)
    {
        var text = new StringBuilder();
        foreach (var token in tokens)
        {
            if (token.GetProperty("reset").GetBoolean()) text.Clear();
            text.Append(token.GetProperty("delta").GetString());
        }
        return text.ToString();
    }
}

/// <summary>The AI through the rest of the API: knowledge written there reaches its answers; signed-in customers are answered too.</summary>
public abstract class AiAnswersThroughTheApiTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private const string Question = "When is the Berlin store open?";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestWorld World => fixture.World;

    [Fact]
    public async Task AnArticleIsAnsweredFromOnceWrittenAndNoLongerOnceDeactivatedOrDeleted()
    {
        var admin = World["adminA"].Client;
        var articles = $"/api/orgs/{World.OrgA.Id}/knowledge";
        foreach (var (title, content) in ShopKnowledge.Articles)
        {
            (await admin.PostAsJsonAsync(articles, new { title, content }, Ct)).EnsureSuccessStatusCode();
        }
        var created = await admin.PostAsJsonAsync(articles, new
        {
            title = "Berlin store opening hours",
            content = "Our Berlin store on Torstrasse is open Monday to Saturday from 10:00 to 20:00 and closed on Sundays.",
        }, Ct);
        created.EnsureSuccessStatusCode();
        var hours = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        // Embedded in the background: the answer cites it as soon as it is indexed.
        var answered = await AskUntilAsync(m => Sources(m).Contains(hours));
        Assert.Contains("10:00 to 20:00", answered.GetProperty("content").GetString(), StringComparison.Ordinal);

        (await admin.PutAsJsonAsync($"{articles}/{hours}", new { isActive = false }, Ct)).EnsureSuccessStatusCode();
        var inactive = await AskAsync();
        Assert.DoesNotContain(hours, Retrieved(inactive));

        (await admin.PutAsJsonAsync($"{articles}/{hours}", new { isActive = true }, Ct)).EnsureSuccessStatusCode();
        await AskUntilAsync(m => Sources(m).Contains(hours));

        (await admin.DeleteAsync($"{articles}/{hours}", Ct)).EnsureSuccessStatusCode();
        var deleted = await AskAsync();
        Assert.DoesNotContain(hours, Retrieved(deleted));
        Assert.DoesNotContain("Torstrasse", deleted.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASignedInCustomersMessageIsAnsweredLikeAWidgetOne()
    {
        var customer = World["customer"].Client;
        var started = await customer.PostAsJsonAsync("/api/me/sessions", new { orgKey = World.OrgA.WidgetKey }, Ct);
        started.EnsureSuccessStatusCode();
        var session = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        (await customer.PostAsJsonAsync($"/api/me/sessions/{session}/messages", new { content = "How long does shipping take?" }, Ct)).EnsureSuccessStatusCode();

        for (var attempt = 0; ; attempt++)
        {
            var messages = await customer.GetFromJsonAsync<JsonElement>($"/api/me/sessions/{session}/messages", Ct);
            var reply = messages.EnumerateArray().FirstOrDefault(m => m.GetProperty("messageType").GetString() == MessageTypes.Ai);
            if (reply.ValueKind == JsonValueKind.Object)
            {
                Assert.Equal(1, reply.GetProperty("aiMetadata").GetProperty("replyTo").GetInt64());
                Assert.Equal(2, reply.GetProperty("seq").GetInt64());
                break;
            }
            Assert.True(attempt < 60, "The signed-in customer's message was never answered.");
            await Task.Delay(250, Ct);
        }
    }

    private static List<Guid> Sources(JsonElement message) =>
        [.. message.GetProperty("aiMetadata").GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("articleId").GetGuid())];

    private static List<Guid> Retrieved(JsonElement message) =>
        [.. message.GetProperty("aiMetadata").GetProperty("retrieved").EnumerateArray().Select(s => s.GetProperty("articleId").GetGuid())];

    /// <summary>Asks in a new widget chat and returns the AI's reply.</summary>
    private async Task<JsonElement> AskAsync()
    {
        var client = World.Factory.CreateClient();
        var token = await WidgetAi.StartAsync(client, World.OrgA);
        using var stream = await WidgetAi.OpenEventsAsync(client, token);
        await WidgetAi.PostAsync(client, token, Question);
        var (_, answer) = await WidgetAi.ReadAnswerAsync(stream);
        return JsonDocument.Parse(answer.Data).RootElement.Clone();
    }

    // Bounded: indexing a handful of passages takes well under a second; 40 tries cover a slow machine.
    private async Task<JsonElement> AskUntilAsync(Func<JsonElement, bool> done)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reply = await AskAsync();
            if (done(reply)) return reply;
            Assert.True(attempt < 40, "The new knowledge never reached the answers: " + reply);
            await Task.Delay(250, Ct);
        }
    }
}

public sealed class SqliteAiAnswersThroughTheApiTests(WorldFixture<SqliteAiFactory> fixture)
    : AiAnswersThroughTheApiTests<SqliteAiFactory>(fixture);

public sealed class PostgresAiAnswersThroughTheApiTests(WorldFixture<PostgresAiFactory> fixture)
    : AiAnswersThroughTheApiTests<PostgresAiFactory>(fixture);
