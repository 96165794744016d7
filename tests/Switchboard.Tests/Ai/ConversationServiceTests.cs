using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;

namespace Switchboard.Tests.Ai;

public sealed class ConversationServiceTests(AiHost host) : IClassFixture<AiHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(ChatbotSession Session, long Seq, List<KnowledgeArticle> Articles)> AskAsync(string question, string status = SessionStatus.Active)
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);
        var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken(), Status = status };
        await using var db = host.SystemDb.CreateContext();
        db.Sessions.Add(session);
        await db.SaveChangesAsync(Ct);
        var posted = await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, question, "c-1", null, Ct);
        return (session, posted.Seq, articles);
    }

    private async Task<List<ConversationMessage>> AiMessagesAsync(Guid sessionId)
    {
        await using var db = host.SystemDb.CreateContext();
        return await db.Messages.AsNoTracking().Where(m => m.SessionId == sessionId && m.MessageType == MessageTypes.Ai).ToListAsync(Ct);
    }

    [Fact]
    public async Task ItStoresOneAiMessageWithItsFullMetadataStreamsItAndCountsTheCitedArticlesUse()
    {
        var (session, seq, articles) = await AskAsync("Can I return boots I have not worn?");
        var returns = articles[1];
        using var events = host.Get<IEventBus>().Subscribe(session.OrganizationId, session.Id);

        var reply = await host.Get<ConversationService>().ReplyAsync(session.Id, seq, Ct);

        var stored = Assert.Single(await AiMessagesAsync(session.Id));
        Assert.Equal(reply!.Id, stored.Id);
        Assert.Equal(seq + 1, stored.Seq);
        Assert.Contains(stored.Content, ShopKnowledge.Articles[1].Content, StringComparison.Ordinal);
        using var metadata = JsonDocument.Parse(stored.AiMetadata!);
        var m = metadata.RootElement;
        Assert.Equal("answer", m.GetProperty("decision").GetString());
        Assert.Equal("extractive", m.GetProperty("model").GetString());
        Assert.Equal(seq, m.GetProperty("replyTo").GetInt64());
        Assert.InRange(m.GetProperty("confidence").GetDouble(), 0.5, 1);
        Assert.True(m.GetProperty("latencyMs").GetInt64() >= 0);
        var source = Assert.Single(m.GetProperty("sources").EnumerateArray());
        Assert.Equal(returns.Id, source.GetProperty("articleId").GetGuid());
        Assert.Equal(returns.Title, source.GetProperty("title").GetString());
        Assert.InRange(source.GetProperty("score").GetDouble(), 0, 1);
        Assert.Equal(returns.Id, m.GetProperty("retrieved")[0].GetProperty("articleId").GetGuid());
        Assert.False(m.TryGetProperty("usage", out _));
        Assert.False(m.TryGetProperty("fallback", out _));

        var seen = new List<SessionEvent>();
        while (events.Reader.TryRead(out var e)) seen.Add(e);
        Assert.Equal(new TypingChanged(session.OrganizationId, session.Id, "ai", null, true), seen[0]);
        var tokens = seen.OfType<AiTokenStreamed>().ToList();
        Assert.All(tokens, t => Assert.Equal(seq, t.ReplyToSeq));
        Assert.Equal(stored.Content, string.Concat(tokens.Select(t => t.Delta)));
        Assert.Contains(new TypingChanged(session.OrganizationId, session.Id, "ai", null, false), seen);
        Assert.Equal(stored.Id, Assert.IsType<MessageCreated>(seen[^1]).Message.Id);

        await using var db = host.SystemDb.CreateContext();
        Assert.Equal(1, await db.Knowledge.Where(a => a.Id == returns.Id).Select(a => a.UsageCount).SingleAsync(Ct));
        Assert.Equal(0, await db.Knowledge.Where(a => a.Id == articles[0].Id).Select(a => a.UsageCount).SingleAsync(Ct));

        // Asked again for the same customer message (a retry, another node): nothing more.
        Assert.Null(await host.Get<ConversationService>().ReplyAsync(session.Id, seq, Ct));
        Assert.Single(await AiMessagesAsync(session.Id));
    }

    [Fact]
    public async Task AQuestionTheKnowledgeCannotAnswerGetsAnHonestNoAnswerThatCitesNothing()
    {
        var (session, seq, _) = await AskAsync("Can you recommend a good lasagna recipe?");

        await host.Get<ConversationService>().ReplyAsync(session.Id, seq, Ct);

        var stored = Assert.Single(await AiMessagesAsync(session.Id));
        Assert.Equal(ConversationPipeline.NoAnswerText, stored.Content);
        var metadata = AiMetadata.Parse(stored.AiMetadata)!;
        Assert.Equal("no_answer", metadata.Decision);
        Assert.Empty(metadata.Sources);
        Assert.InRange(metadata.Confidence, 0, 0.5);
    }

    [Theory]
    [InlineData(SessionStatus.Escalated)]
    [InlineData(SessionStatus.Resolved)]
    public async Task TheAiStaysSilentWhenAPersonHasTheConversationOrItIsOver(string status)
    {
        var (session, seq, _) = await AskAsync("How long does shipping take?", status);
        using var events = host.Get<IEventBus>().Subscribe(session.OrganizationId, session.Id);

        Assert.Null(await host.Get<ConversationService>().ReplyAsync(session.Id, seq, Ct));

        Assert.Empty(await AiMessagesAsync(session.Id));
        Assert.False(events.Reader.TryRead(out _));
    }
}
