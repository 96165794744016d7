using Microsoft.Extensions.AI;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;

namespace Switchboard.Tests.Ai;

/// <summary>Outcomes recorded through <see cref="ArticleOutcomes"/> reach the ranking of the real retriever, and only nudge it.</summary>
public abstract class EffectivenessNudgeTests<THost>(THost host) where THost : AiHost
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string RefundQuestion = "When do I get my refund?";

    [Fact]
    public async Task HelpfulOutcomesLiftTheRunnerUpOfTwoCloseArticlesToTheTop()
    {
        var org = await host.CreateOrganizationAsync();
        await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);
        await host.AddArticlesAsync(org.Id,
            ("Refunds", "Refunds go back to the original payment method within 5 business days after the parcel reaches our warehouse."),
            ("Refund timing", "Refunds go back to your original payment method within 5 business days once the parcel reaches our warehouse."));
        var before = await RankAsync(org.Id, RefundQuestion);
        var (leader, runnerUp) = (before[0], before[1]);
        Assert.Equal(["Refund timing", "Refunds"], new[] { leader, runnerUp }.Select(a => a.Title).Order());

        await RateAsync(org.Id, runnerUp.ArticleId, helpful: true, times: 10);

        var after = await RankAsync(org.Id, RefundQuestion);
        Assert.Equal([runnerUp.ArticleId, leader.ArticleId], after.Take(2).Select(a => a.ArticleId));
    }

    [Fact]
    public async Task AnArticleThatAlwaysGetsThumbsDownStaysFirstWhereItIsClearlyTheRightOne()
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);
        var password = articles.Single(a => a.Title == "Resetting your password");

        await RateAsync(org.Id, password.Id, helpful: false, times: 40);

        var ranked = await RankAsync(org.Id, "How do I reset my password?");
        Assert.Equal(password.Id, ranked[0].ArticleId);
    }

    private async Task<IReadOnlyList<RetrievedArticle>> RankAsync(Guid organizationId, string question)
    {
        var vector = await AiHost.Embeddings.GenerateVectorAsync(question, cancellationToken: Ct);
        return (await host.Get<HybridRetriever>().RetrieveAsync(organizationId, vector, question, 5, null, Ct)).Articles;
    }

    /// <summary>A customer's thumb on <paramref name="times"/> answers that cited the article, each in its own chat.</summary>
    private async Task RateAsync(Guid organizationId, Guid articleId, bool helpful, int times)
    {
        var outcomes = host.Get<ArticleOutcomes>();
        for (var i = 0; i < times; i++)
        {
            var session = new ChatbotSession { OrganizationId = organizationId, SessionToken = ChatbotSession.NewToken() };
            PostedMessage answer;
            await using (var db = host.SystemDb.CreateContext())
            {
                db.Sessions.Add(session);
                await db.SaveChangesAsync(Ct);
                var question = await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, "A question", null, null, Ct);
                var metadata = new AiMetadata([new AiSource(articleId, "cited", 0.8)], 0.9, AiDecisions.Answer, "extractive", 1, null, null, question.Seq, []);
                answer = await MessageLog.AppendAsync(db, session.Id, MessageTypes.Ai, "An answer", null, null, Ct, metadata.ToJson());
            }
            Assert.Equal(ArticleOutcomes.FeedbackResult.Recorded, await outcomes.FeedbackAsync(session.Id, answer.MessageId, helpful, Ct));
        }
    }
}

public sealed class SqliteEffectivenessNudgeTests(AiHost host) : EffectivenessNudgeTests<AiHost>(host), IClassFixture<AiHost>;

public sealed class PostgresEffectivenessNudgeTests(PostgresAiHost host) : EffectivenessNudgeTests<PostgresAiHost>(host), IClassFixture<PostgresAiHost>;
