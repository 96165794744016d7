using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Features.Knowledge.Import;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Import;

/// <summary>A server that may crawl the test's local site on 127.0.0.1 (servers refuse private addresses by default).</summary>
public sealed class ImportSqliteFactory : SqliteFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Knowledge:Import:AllowPrivateAddresses"] = "true";
}

public sealed class ImportPostgresFactory : PostgresFactory
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Knowledge:Import:AllowPrivateAddresses"] = "true";
}

/// <summary>POST/GET /api/orgs/{orgId}/knowledge/imports: uploads and crawls, progress, idempotence, roles, bad input.</summary>
public abstract class KnowledgeImportApiTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private TestWorld World => fixture.World;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string name) => $"{Guid.NewGuid().ToString("N")[..8]}-{name}";

    private static MultipartFormDataContent Form(params (string Name, byte[] Content)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", name);
        }
        return form;
    }

    private static (string, byte[]) Markdown(string name, string text) => (name, Encoding.UTF8.GetBytes(text));

    private async Task<HttpResponseMessage> UploadAsync(string actor, Guid orgId, params (string Name, byte[] Content)[] files) =>
        await World[actor].Client.PostAsync($"/api/orgs/{orgId}/knowledge/imports", Form(files), Ct);

    /// <summary>The job once it has finished (bounded polling; the background service runs it).</summary>
    private async Task<ImportJobResponse> FinishedAsync(string actor, Guid orgId, HttpResponseMessage accepted)
    {
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var job = (await accepted.Content.ReadFromJsonAsync<ImportJobResponse>(Ct))!;
        Assert.Equal($"/api/orgs/{orgId}/knowledge/imports/{job.Id}", accepted.Headers.Location?.OriginalString);
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            job = (await World[actor].Client.GetFromJsonAsync<ImportJobResponse>($"/api/orgs/{orgId}/knowledge/imports/{job.Id}", Ct))!;
            if (job.Status is ImportStatus.Succeeded or ImportStatus.Failed) return job;
            await Task.Delay(100, Ct);
        }
        throw new TimeoutException($"Import job {job.Id} did not finish: {job.Status}.");
    }

    private async Task<int> JobCountAsync()
    {
        await using var db = fixture.Factory.SystemContext();
        return await db.KnowledgeImportJobs.CountAsync(Ct);
    }

    [Fact]
    public async Task AnAdminImportsEveryFormatAndTheArticlesAreWrittenAndEmbedded()
    {
        var faq = Unique("faq.md");
        var accepted = await UploadAsync("adminA", World.OrgA.Id,
            (faq, File.ReadAllBytes(ImportFiles.Path_("faq.md"))),
            ("returns-policy.html", File.ReadAllBytes(ImportFiles.Path_("returns-policy.html"))),
            ("warranty.pdf", ImportFiles.ReturnsPdf()),
            ("articles.csv", File.ReadAllBytes(ImportFiles.Path_("articles.csv"))),
            ("articles.jsonl", File.ReadAllBytes(ImportFiles.Path_("articles.jsonl"))));

        var job = await FinishedAsync("adminA", World.OrgA.Id, accepted);

        Assert.Equal(ImportStatus.Succeeded, job.Status);
        Assert.Equal("upload", job.Kind);
        Assert.Equal((11, 11, 0, 0, 0), (job.Found, job.Created, job.Updated, job.Unchanged, job.Failed));
        Assert.True(job.PassagesTotal >= 11);
        Assert.Equal(job.PassagesTotal, job.PassagesEmbedded);

        await using var db = fixture.Factory.SystemContext();
        var articles = await db.Knowledge.AsNoTracking().Where(k => k.OrganizationId == World.OrgA.Id && k.SourceUri != null).ToListAsync(Ct);
        var uris = articles.Select(a => a.SourceUri).ToHashSet();
        foreach (var uri in new[] { $"file:{faq}#shipping", $"file:{faq}#gift-cards", "file:returns-policy.html", "file:warranty.pdf", "csv:pw-reset", "csv:articles.csv#row-3", "jsonl:top-up" })
        {
            Assert.Contains(uri, uris);
        }
        Assert.All(articles, a => Assert.NotNull(a.Embeddings));
        var chunked = await db.KnowledgeChunks.AsNoTracking().Where(c => c.OrganizationId == World.OrgA.Id).Select(c => c.ArticleId).Distinct().ToListAsync(Ct);
        Assert.All(articles, a => Assert.Contains(a.Id, chunked));
        Assert.Equal("Warranty and repairs", articles.Single(a => a.SourceUri == "file:warranty.pdf").Title);

        // Members follow the organization's imports.
        var listed = await World["memberA"].Client.GetFromJsonAsync<List<ImportJobResponse>>($"/api/orgs/{World.OrgA.Id}/knowledge/imports", Ct);
        Assert.Contains(listed!, j => j.Id == job.Id && j.Status == ImportStatus.Succeeded);
    }

    [Fact]
    public async Task ReimportingUnchangedFilesWritesAndEmbedsNothingAndAChangedFileOnlyItself()
    {
        var (one, two) = (Unique("one.md"), Unique("two.md"));
        var first = Markdown(one, "# Opening hours\n\nWe are open from nine to five on weekdays.\n");
        var second = Markdown(two, "# Parking\n\nVisitors park for free in the garage under the building.\n");
        var created = await FinishedAsync("adminB", World.OrgB.Id, await UploadAsync("adminB", World.OrgB.Id, first, second));
        Assert.Equal((2, 0, 0), (created.Created, created.Updated, created.Unchanged));

        var before = await SnapshotAsync(one, two);
        var again = await FinishedAsync("adminB", World.OrgB.Id, await UploadAsync("adminB", World.OrgB.Id, first, second));

        Assert.Equal(ImportStatus.Succeeded, again.Status);
        Assert.Equal((0, 0, 2, 0, 0), (again.Created, again.Updated, again.Unchanged, again.PassagesTotal, again.PassagesEmbedded));
        Assert.Equal(before, await SnapshotAsync(one, two));

        var changed = Markdown(two, "# Parking\n\nVisitors park for free in the garage under the building, level minus two.\n");
        var update = await FinishedAsync("adminB", World.OrgB.Id, await UploadAsync("adminB", World.OrgB.Id, first, changed));

        Assert.Equal((0, 1, 1), (update.Created, update.Updated, update.Unchanged));
        Assert.True(update.PassagesEmbedded >= 1);
        var after = await SnapshotAsync(one, two);
        Assert.Equal(before[$"file:{one}"], after[$"file:{one}"]);
        Assert.NotEqual(before[$"file:{two}"], after[$"file:{two}"]);
        Assert.Equal(before.Keys, after.Keys); // updated in place: the same article, no duplicate
    }

    /// <summary>Per article: its id, updated_at, and its passages' ids and creation times (a re-embedded passage is a new row).</summary>
    private async Task<Dictionary<string, string>> SnapshotAsync(params string[] names)
    {
        await using var db = fixture.Factory.SystemContext();
        var uris = names.Select(n => $"file:{n}").ToList();
        var articles = await db.Knowledge.AsNoTracking().Where(k => k.OrganizationId == World.OrgB.Id && uris.Contains(k.SourceUri!)).ToListAsync(Ct);
        var result = new Dictionary<string, string>();
        foreach (var article in articles.OrderBy(a => a.SourceUri))
        {
            var chunks = await db.KnowledgeChunks.AsNoTracking().Where(c => c.ArticleId == article.Id).OrderBy(c => c.Ordinal)
                .Select(c => c.Id.ToString() + "@" + c.CreatedAt.UtcTicks).ToListAsync(Ct);
            result[article.SourceUri!] = $"{article.Id} {article.UpdatedAt.UtcTicks} {article.Content.Length} [{string.Join(",", chunks)}]";
        }
        return result;
    }

    [Theory]
    [InlineData("adminA", HttpStatusCode.Accepted)]
    [InlineData("agentA", HttpStatusCode.Forbidden)]
    [InlineData("memberA", HttpStatusCode.Forbidden)]
    [InlineData("adminB", HttpStatusCode.NotFound)]
    [InlineData("customer", HttpStatusCode.NotFound)]
    [InlineData("anonymous", HttpStatusCode.Unauthorized)]
    public async Task OnlyTheOrganizationsAdminsStartImports(string actor, HttpStatusCode expected)
    {
        var jobs = await JobCountAsync();

        var upload = await UploadAsync(actor, World.OrgA.Id, Markdown(Unique("perm.md"), "# Permission\n\nA short article.\n"));
        var crawl = await World[actor].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/knowledge/imports", new { url = "http://127.0.0.1:9/" }, Ct);

        Assert.Equal(expected, upload.StatusCode);
        if (expected == HttpStatusCode.Accepted)
        {
            await FinishedAsync(actor, World.OrgA.Id, upload);
            Assert.Equal(HttpStatusCode.BadRequest, crawl.StatusCode); // allowed, but nothing listens there
        }
        else
        {
            Assert.Equal(expected, crawl.StatusCode);
            Assert.Equal(jobs, await JobCountAsync());
        }
    }

    [Theory]
    [InlineData("adminA", HttpStatusCode.OK)]
    [InlineData("agentA", HttpStatusCode.OK)]
    [InlineData("memberA", HttpStatusCode.OK)]
    [InlineData("adminB", HttpStatusCode.NotFound)]
    [InlineData("customer", HttpStatusCode.NotFound)]
    [InlineData("anonymous", HttpStatusCode.Unauthorized)]
    public async Task MembersOfTheOrganizationFollowItsImportsAndNobodyElse(string actor, HttpStatusCode expected)
    {
        var job = await FinishedAsync("adminA", World.OrgA.Id, await UploadAsync("adminA", World.OrgA.Id, Markdown(Unique("follow.md"), "# Follow\n\nProgress is visible.\n")));

        var list = await World[actor].Client.GetAsync($"/api/orgs/{World.OrgA.Id}/knowledge/imports", Ct);
        var one = await World[actor].Client.GetAsync($"/api/orgs/{World.OrgA.Id}/knowledge/imports/{job.Id}", Ct);

        Assert.Equal(expected, list.StatusCode);
        Assert.Equal(expected, one.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Contains((await list.Content.ReadFromJsonAsync<List<ImportJobResponse>>(Ct))!, j => j.Id == job.Id);
        }
    }

    [Fact]
    public async Task AnotherOrganizationsJobIsNotFoundUnderOnesOwnOrganization()
    {
        var job = await FinishedAsync("adminA", World.OrgA.Id, await UploadAsync("adminA", World.OrgA.Id, Markdown(Unique("mine.md"), "# Mine\n\nOrg A only.\n")));

        var response = await World["adminB"].Client.GetAsync($"/api/orgs/{World.OrgB.Id}/knowledge/imports/{job.Id}", Ct);
        var list = await World["adminB"].Client.GetFromJsonAsync<List<ImportJobResponse>>($"/api/orgs/{World.OrgB.Id}/knowledge/imports", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(list!, j => j.Id == job.Id);
    }

    public static TheoryData<string, string, string> BadUploads => new()
    {
        { "setup.exe", "MZ binary", "setup.exe: unsupported file type \".exe\"" },
        { "broken.pdf", "{broken}", "broken.pdf: not a readable PDF" },
        { "huge.md", "{10MB}", "huge.md is 10.0 MB; the limit is 4 MB per file." },
        { "rows.csv", "title,content\nFine,Text\n\"\",No title\n", "rows.csv line 3: \"title\" is missing or empty." },
        { "rows.jsonl", "{\"id\":\"x\",\"title\":\" \",\"content\":\"c\"}\n", "rows.jsonl line 1: \"title\" is missing or empty." },
        { "empty.md", "", "empty.md is empty." },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task ABadFileRefusesTheWholeUploadNamingTheFileAndWritesNothing(string name, string content, string problem)
    {
        var bytes = content switch
        {
            "{broken}" => File.ReadAllBytes(ImportFiles.Path_("broken.pdf")),
            "{10MB}" => Encoding.UTF8.GetBytes("# Huge\n\n" + new string('x', 10 * 1024 * 1024)),
            _ => Encoding.UTF8.GetBytes(content),
        };
        var before = await fixture.FingerprintAsync();
        var jobs = await JobCountAsync();

        // A good file beside the bad one is not written either.
        var response = await UploadAsync("adminA", World.OrgA.Id, Markdown(Unique("good.md"), "# Good\n\nA fine article.\n"), (name, bytes));

        await AssertProblemAsync(response, "files", problem);
        Assert.Equal(before, await fixture.FingerprintAsync());
        Assert.Equal(jobs, await JobCountAsync());
    }

    [Theory]
    [InlineData("""{"url":"http://127.0.0.1:{closed}/help"}""", "url", "Could not reach http://127.0.0.1:{closed}/help: ")]
    [InlineData("""{"url":""}""", "url", "The url of a page or a sitemap.xml is required.")]
    [InlineData("""{"url":"ftp://example.com/"}""", "url", "\"ftp://example.com/\" is not an http or https address.")]
    [InlineData("""{"url":"http://127.0.0.1:9/","maxPages":0}""", "maxPages", "maxPages must be 1-1000.")]
    [InlineData("""{"url":"http://127.0.0.1:9/","maxDepth":11}""", "maxDepth", "maxDepth must be 0-10.")]
    [InlineData("""{"url":""", "body", "The body is not valid JSON")]
    public async Task ABadCrawlRequestIsAProblemNamingTheFieldAndWritesNothing(string body, string field, string problem)
    {
        var port = CrawlerTests.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var before = await fixture.FingerprintAsync();
        var jobs = await JobCountAsync();

        var response = await World["adminA"].Client.PostAsync($"/api/orgs/{World.OrgA.Id}/knowledge/imports",
            new StringContent(body.Replace("{closed}", port, StringComparison.Ordinal), Encoding.UTF8, "application/json"), Ct);

        await AssertProblemAsync(response, field, problem.Replace("{closed}", port, StringComparison.Ordinal));
        Assert.Equal(before, await fixture.FingerprintAsync());
        Assert.Equal(jobs, await JobCountAsync());
    }

    [Fact]
    public async Task ARequestWithNeitherFilesNorJsonIsAProblem()
    {
        var response = await World["adminA"].Client.PostAsync($"/api/orgs/{World.OrgA.Id}/knowledge/imports", new StringContent("hello", Encoding.UTF8, "text/plain"), Ct);
        var noFiles = await World["adminA"].Client.PostAsync($"/api/orgs/{World.OrgA.Id}/knowledge/imports", new FormUrlEncodedContent([new("a", "b")]), Ct);

        await AssertProblemAsync(response, "body", "Send multipart/form-data");
        await AssertProblemAsync(noFiles, "files", "The form has no files.");
    }

    [Fact]
    public async Task AWebsiteIsCrawledInTheBackgroundIntoArticles()
    {
        await using var site = await LocalSite.StartAsync();

        var accepted = await World["adminA"].Client.PostAsJsonAsync($"/api/orgs/{World.OrgA.Id}/knowledge/imports",
            new { url = site.Root.AbsoluteUri, maxPages = 20, maxDepth = 1 }, Ct);
        var job = await FinishedAsync("adminA", World.OrgA.Id, accepted);

        Assert.Equal(ImportStatus.Succeeded, job.Status);
        Assert.Equal("crawl", job.Kind);
        Assert.Equal((7, 4, 3), (job.Found, job.Created, job.Failed));
        Assert.Contains(job.Warnings, w => w.Contains("robots.txt disallows it", StringComparison.Ordinal));
        Assert.DoesNotContain("/private/secret", site.Requested);
        await using var db = fixture.Factory.SystemContext();
        var shipping = await db.Knowledge.AsNoTracking().SingleAsync(k => k.OrganizationId == World.OrgA.Id && k.SourceUri == site.Url("/help/shipping").AbsoluteUri, Ct);
        Assert.Equal("Shipping", shipping.Title);
        Assert.NotNull(shipping.Embeddings);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string field, string problem)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var messages = json.RootElement.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith(problem, StringComparison.Ordinal) || m.Contains(problem, StringComparison.Ordinal));
    }
}

public sealed class SqliteKnowledgeImportApiTests(WorldFixture<ImportSqliteFactory> fixture) : KnowledgeImportApiTests<ImportSqliteFactory>(fixture);

public sealed class PostgresKnowledgeImportApiTests(WorldFixture<ImportPostgresFactory> fixture) : KnowledgeImportApiTests<ImportPostgresFactory>(fixture);
