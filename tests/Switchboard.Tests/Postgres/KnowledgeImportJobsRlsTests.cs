using Npgsql;

namespace Switchboard.Tests.Postgres;

/// <summary>Row-level security on knowledge_import_jobs, in raw SQL as the request role: members read, admins start, nobody else.</summary>
public sealed class KnowledgeImportJobsRlsTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid OrgJob, Guid OtherOrgJob, RlsSeed Seed)> SeedJobsAsync()
    {
        var seed = (await fixture.ReadyAsync()).Seed;
        var (orgJob, otherJob) = (Guid.NewGuid(), Guid.NewGuid());
        await using var owner = await fixture.ConnectAsOwnerAsync(Ct);
        await using var command = new NpgsqlCommand(
            "INSERT INTO knowledge_import_jobs (id, organization_id, kind, source, found, created, updated, unchanged, failed, passages_total, passages_embedded) VALUES (@a, @org, 'upload', 'a.md', 0, 0, 0, 0, 0, 0, 0), (@b, @other, 'crawl', 'https://b.example/', 0, 0, 0, 0, 0, 0, 0)", owner);
        command.Parameters.AddWithValue("a", orgJob);
        command.Parameters.AddWithValue("b", otherJob);
        command.Parameters.AddWithValue("org", seed.Org);
        command.Parameters.AddWithValue("other", seed.OtherOrg);
        await command.ExecuteNonQueryAsync(Ct);
        return (orgJob, otherJob, seed);
    }

    [Theory]
    [InlineData(Actor.Nobody, false, false)]
    [InlineData(Actor.Anonymous, false, false)]
    [InlineData(Actor.Customer, false, false)]
    [InlineData(Actor.PlatformAdmin, false, false)]
    [InlineData(Actor.MemberOfOrg, true, false)]
    [InlineData(Actor.AgentOfOrg, true, false)]
    [InlineData(Actor.AdminOfOrg, true, false)]
    [InlineData(Actor.AdminOfAnotherOrg, false, true)]
    public async Task JobsAreReadableByTheirOrganizationsMembersOnly(Actor actor, bool seesOrg, bool seesOther)
    {
        var (orgJob, otherJob, _) = await SeedJobsAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        var seen = new List<Guid>();
        await using (var command = new NpgsqlCommand("SELECT id FROM knowledge_import_jobs", connection))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct)) seen.Add(reader.GetGuid(0));
        }

        Assert.Equal(seesOrg, seen.Contains(orgJob));
        Assert.Equal(seesOther, seen.Contains(otherJob));
    }

    [Theory]
    [InlineData(Actor.AdminOfOrg, true)]
    [InlineData(Actor.AgentOfOrg, false)]
    [InlineData(Actor.MemberOfOrg, false)]
    [InlineData(Actor.AdminOfAnotherOrg, false)]
    [InlineData(Actor.PlatformAdmin, false)]
    [InlineData(Actor.Nobody, false)]
    public async Task OnlyTheOrganizationsAdminsStartImports(Actor actor, bool allowed)
    {
        var (_, _, seed) = await SeedJobsAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        await using var command = new NpgsqlCommand("INSERT INTO knowledge_import_jobs (organization_id, kind, source, found, created, updated, unchanged, failed, passages_total, passages_embedded) VALUES (@org, 'upload', 'x.md', 0, 0, 0, 0, 0, 0, 0)", connection);
        command.Parameters.AddWithValue("org", seed.Org);

        if (allowed)
        {
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }
        else
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Ct));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }

    [Theory]
    [InlineData(Actor.AdminOfOrg)]
    [InlineData(Actor.MemberOfOrg)]
    [InlineData(Actor.AdminOfAnotherOrg)]
    public async Task NobodyOnTheRequestPathChangesOrDeletesAJob(Actor actor)
    {
        var (orgJob, _, _) = await SeedJobsAsync();
        await using var connection = await fixture.ConnectAsAsync(actor, Ct);
        await using var update = new NpgsqlCommand("UPDATE knowledge_import_jobs SET status = 'succeeded' WHERE id = @id", connection);
        update.Parameters.AddWithValue("id", orgJob);
        await using var delete = new NpgsqlCommand("DELETE FROM knowledge_import_jobs WHERE id = @id", connection);
        delete.Parameters.AddWithValue("id", orgJob);

        Assert.Equal(0, await update.ExecuteNonQueryAsync(Ct));
        Assert.Equal(0, await delete.ExecuteNonQueryAsync(Ct));
    }
}
