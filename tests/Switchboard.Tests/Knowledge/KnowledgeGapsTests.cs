using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Conversations;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Ai;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Widget;

namespace Switchboard.Tests.Knowledge;

/// <summary>
/// The gap report from real replies: customer questions answered by the real pipeline (ReplyAsync
/// stores each AI message with its ai_metadata), then grouped by meaning.
/// </summary>
public abstract class KnowledgeGapsTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestWorld World => fixture.World;

    [Fact]
    public async Task UnansweredQuestionsAreGroupedByMeaningLargestFirstAndStayInTheirOrganization()
    {
        var (org, _) = await WidgetAi.CreateOrganizationAsync(World.Factory, ShopKnowledge.Articles);
        var (other, _) = await WidgetAi.CreateOrganizationAsync(World.Factory, ShopKnowledge.Articles);
        await using (var db = World.Factory.SystemContext())
        {
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = World["agentA"].UserId!.Value, Role = OrgRoles.Agent });
            await db.SaveChangesAsync(Ct);
        }
        // Questions this shop's knowledge cannot answer (the pipeline declines them), in two topics.
        string[] lasagna = ["What is a good recipe for lasagna?", "How do I cook lasagna at home?", "Can you give me a lasagna recipe?"];
        string[] worldCup = ["Who won the football world cup in 1990?", "Which country won the 1990 World Cup?"];
        foreach (var q in lasagna.Concat(worldCup).Append("How long does express delivery take?")) await AskAsync(org, q);
        await AskAsync(other, "What is the capital of Australia?");

        var report = await World["agentA"].Client.GetFromJsonAsync<JsonElement>($"/api/orgs/{org.Id}/knowledge/gaps", Ct);

        var gaps = report.GetProperty("gaps").EnumerateArray().ToList();
        List<string> Questions(JsonElement gap) => [.. gap.GetProperty("examples").EnumerateArray().Select(e => e.GetProperty("question").GetString()!)];
        var lasagnaGap = gaps.Single(g => Questions(g).Any(lasagna.Contains));
        var worldCupGap = gaps.Single(g => Questions(g).Any(worldCup.Contains));
        Assert.Equal(3, lasagnaGap.GetProperty("count").GetInt32());
        Assert.Equal(lasagna.Order(), Questions(lasagnaGap).Order());
        Assert.Equal(2, worldCupGap.GetProperty("count").GetInt32());
        Assert.Equal(worldCup.Order(), Questions(worldCupGap).Order());
        var counts = gaps.Select(g => g.GetProperty("count").GetInt32()).ToList();
        Assert.Equal(counts.OrderDescending(), counts); // largest group first
        Assert.Equal(3, counts[0]);
        Assert.DoesNotContain(gaps, g => Questions(g).Contains("How long does express delivery take?"));
        Assert.DoesNotContain(gaps, g => Questions(g).Contains("What is the capital of Australia?"));
        Assert.True(lasagnaGap.GetProperty("lastSeen").GetDateTimeOffset() >= lasagnaGap.GetProperty("firstSeen").GetDateTimeOffset());
    }

    [Fact]
    public async Task TheDateRangeLeavesOutQuestionsOutsideIt()
    {
        var (org, _) = await WidgetAi.CreateOrganizationAsync(World.Factory, ShopKnowledge.Articles);
        await using (var db = World.Factory.SystemContext())
        {
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = World["adminA"].UserId!.Value, Role = OrgRoles.Admin });
            await db.SaveChangesAsync(Ct);
        }
        await AskAsync(org, "What is a good recipe for lasagna?");
        var url = $"/api/orgs/{org.Id}/knowledge/gaps";
        var future = DateTimeOffset.UtcNow.AddDays(1).ToString("O");

        var all = await World["adminA"].Client.GetFromJsonAsync<JsonElement>(url, Ct);
        var later = await World["adminA"].Client.GetFromJsonAsync<JsonElement>($"{url}?from={Uri.EscapeDataString(future)}", Ct);

        Assert.Equal(1, all.GetProperty("questions").GetInt32());
        Assert.Equal(0, later.GetProperty("questions").GetInt32());
        Assert.Empty(later.GetProperty("gaps").EnumerateArray());
    }

    /// <summary>A customer question in a new session, answered (or not) by the real pipeline and stored as eval does it.</summary>
    private async Task AskAsync(Organization org, string question)
    {
        var session = new ChatbotSession { OrganizationId = org.Id, SessionToken = ChatbotSession.NewToken() };
        long seq;
        await using (var db = World.Factory.SystemContext())
        {
            db.Sessions.Add(session);
            await db.SaveChangesAsync(Ct);
            seq = (await MessageLog.AppendAsync(db, session.Id, MessageTypes.User, question, null, null, Ct)).Seq;
        }
        await World.Factory.Services.GetRequiredService<ConversationService>().ReplyAsync(session.Id, seq, Ct);
    }
}

public sealed class SqliteKnowledgeGapsTests(WorldFixture<SqliteFactory> fixture) : KnowledgeGapsTests<SqliteFactory>(fixture);

public sealed class PostgresKnowledgeGapsTests(WorldFixture<PostgresFactory> fixture) : KnowledgeGapsTests<PostgresFactory>(fixture);
