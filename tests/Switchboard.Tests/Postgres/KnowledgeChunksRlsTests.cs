using Npgsql;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// Row-level security on knowledge_chunks, in raw SQL as the request role: a passage is readable
/// exactly where its article is, and can never be filed under another organization than its article's.
/// </summary>
public sealed class KnowledgeChunksRlsTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<RlsSeed> SeedChunksAsync()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        await using var owner = await fixture.ConnectAsOwnerAsync(Ct);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO knowledge_chunks (article_id, organization_id, ordinal, text, embedding, embedding_model, content_hash)
            SELECT id, organization_id, 0, content, '{0.6,0.8}', 'test', md5(content) FROM ai_knowledge_base
            WHERE id IN (@org_article, @other_org_article, @global_article)
            ON CONFLICT (article_id, embedding_model, ordinal) DO NOTHING
            """, owner);
        command.Parameters.AddWithValue("org_article", seed.OrgArticle);
        command.Parameters.AddWithValue("other_org_article", seed.OtherOrgArticle);
        command.Parameters.AddWithValue("global_article", seed.GlobalArticle);
        await command.ExecuteNonQueryAsync(Ct);
        return seed;
    }

    public static TheoryData<Actor, string> VisiblePassages => new()
    {
        { Actor.Nobody, "global" },
        { Actor.Anonymous, "global" },
        { Actor.Customer, "global" },
        { Actor.PlatformAdmin, "global" },
        { Actor.MemberOfOrg, "org global" },
        { Actor.AgentOfOrg, "org global" },
        { Actor.AdminOfOrg, "org global" },
        { Actor.AdminOfAnotherOrg, "other global" },
    };

    [Theory]
    [MemberData(nameof(VisiblePassages))]
    public async Task PassagesAreReadableExactlyWhereTheirArticlesAre(Actor actor, string expected)
    {
        var seed = await SeedChunksAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        var seen = new List<Guid>();
        await using (var command = new NpgsqlCommand("SELECT article_id FROM knowledge_chunks", connection))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct)) seen.Add(reader.GetGuid(0));
        }
        var want = expected.Split(' ').Select(name => name switch
        {
            "org" => seed.OrgArticle,
            "other" => seed.OtherOrgArticle,
            _ => seed.GlobalArticle,
        });
        Assert.Equal(want.Order(), seen.Order());
    }

    [Fact]
    public async Task AnAdminCannotFileAPassageOfAnotherOrganizationsArticleUnderTheirOwn()
    {
        var seed = await SeedChunksAsync();
        await using var admin = await fixture.ConnectAsAsync(Actor.AdminOfOrg, Ct);
        await using var command = new NpgsqlCommand(
            "INSERT INTO knowledge_chunks (article_id, organization_id, ordinal, text, embedding, embedding_model, content_hash) " +
            "VALUES (@article, @org, 7, 'stolen', '{1}', 'test', 'x')", admin);
        command.Parameters.AddWithValue("article", seed.OtherOrgArticle);
        command.Parameters.AddWithValue("org", seed.Org);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Ct));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task AnAdminDeletingTheirArticleDeletesItsPassagesThroughThePolicies()
    {
        var seed = await SeedChunksAsync();
        var article = Guid.NewGuid();
        await using (var owner = await fixture.ConnectAsOwnerAsync(Ct))
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO ai_knowledge_base (id, organization_id, title, content) VALUES (@id, @org, 'Doomed', 'Soon gone.');
            INSERT INTO knowledge_chunks (article_id, organization_id, ordinal, text, embedding, embedding_model, content_hash)
                VALUES (@id, @org, 0, 'Soon gone.', '{1}', 'test', 'y');
            """, owner))
        {
            insert.Parameters.AddWithValue("id", article);
            insert.Parameters.AddWithValue("org", seed.Org);
            await insert.ExecuteNonQueryAsync(Ct);
        }

        await using var admin = await fixture.ConnectAsAsync(Actor.AdminOfOrg, Ct);
        await using (var delete = new NpgsqlCommand("DELETE FROM ai_knowledge_base WHERE id = @id", admin))
        {
            delete.Parameters.AddWithValue("id", article);
            Assert.Equal(1, await delete.ExecuteNonQueryAsync(Ct));
        }
        await using var owner2 = await fixture.ConnectAsOwnerAsync(Ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM knowledge_chunks WHERE article_id = @id", owner2);
        count.Parameters.AddWithValue("id", article);
        Assert.Equal(0L, await count.ExecuteScalarAsync(Ct));
    }
}
