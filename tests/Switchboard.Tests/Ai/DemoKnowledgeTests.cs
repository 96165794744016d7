using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;

namespace Switchboard.Tests.Ai;

public sealed class DemoKnowledgeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheDemoKnowledgeIsIndexedOnFirstRunAndAnswersADemoQuestionWithItsSource()
    {
        // A database of its own: the demo data is only created when there is no organization yet.
        await using var host = new AiHost();
        await host.InitializeAsync();
        await host.Get<DemoData>().SeedIfEmptyAsync(Ct);

        // What the background indexing service runs once the server has started.
        await host.Get<KnowledgeIndexer>().IndexAllAsync(null, Ct);

        await using var db = host.SystemDb.CreateContext();
        var org = await db.Organizations.SingleAsync(o => o.Slug == DemoData.Slug, Ct);
        var articles = await db.Knowledge.AsNoTracking().Where(a => a.OrganizationId == org.Id).ToListAsync(Ct);
        Assert.NotEmpty(articles);
        Assert.All(articles, a => Assert.Equal(LocalEmbeddingGenerator.ModelName, a.EmbeddingModel));

        var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken() };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(Ct);
        var seq = (await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, "How long does express shipping take?", null, null, Ct)).Seq;
        var reply = await host.Get<ConversationService>().ReplyAsync(session.Id, seq, Ct);

        var metadata = AiMetadata.Parse(reply!.AiMetadata!.Value.GetRawText())!;
        Assert.Equal(AiDecisions.Answer, metadata.Decision);
        Assert.Equal("Shipping times and costs", Assert.Single(metadata.Sources).Title);
        Assert.Contains("Express shipping", reply.Content, StringComparison.Ordinal);
    }
}
