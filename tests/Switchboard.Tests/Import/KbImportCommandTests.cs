using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Cli;
using Switchboard.Data;
using Switchboard.Features.Knowledge.Import;
using Switchboard.Features.Organizations;

namespace Switchboard.Tests.Import;

/// <summary><c>kb import</c> in-process, on a temporary SQLite database, as an operator runs it.</summary>
public sealed class KbImportCommandTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("switchboard-kb-import-").FullName;
    private string _slug = "";

    private string Database => $"Data Source={Path.Combine(_directory, "switchboard.db")}";

    private string[] Args(params string[] args) =>
        [.. args, $"--ConnectionStrings:Switchboard={Database}", "--Database:SeedDemoData=false", $"--DataProtection:KeysPath={Path.Combine(_directory, "keys")}"];

    private AppDbContext Db() => new SystemDb(Options.Create(new DatabaseOptions { AdminConnectionString = Database, RequestConnectionString = Database })).CreateContext();

    public async ValueTask InitializeAsync()
    {
        Assert.Equal(0, await SwitchboardCli.RunAsync(Args("migrate")));
        _slug = "kb-" + Guid.NewGuid().ToString("N")[..8];
        await using var db = Db();
        db.Organizations.Add(new Organization { Name = "KB", Slug = _slug });
        await db.SaveChangesAsync();
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task KbImportWritesAFolderEmbedsItAndAReimportChangesNothing()
    {
        var folder = ImportFiles.Path_("handbook");

        Assert.Equal(0, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", _slug, folder)));
        string before;
        await using (var db = Db())
        {
            var articles = await db.Knowledge.AsNoTracking().OrderBy(k => k.SourceUri).ToListAsync(TestContext.Current.CancellationToken);
            Assert.Equal(["file:billing/invoices.markdown", "file:billing/refunds.md", "file:getting-started.md", "file:notes.txt"], articles.Select(a => a.SourceUri));
            Assert.All(articles, a => Assert.NotNull(a.Embeddings));
            var job = await db.KnowledgeImportJobs.AsNoTracking().SingleAsync(TestContext.Current.CancellationToken);
            Assert.Equal(("cli", ImportStatus.Succeeded, 4, 4), (job.Kind, job.Status, job.Found, job.Created));
            before = string.Join(",", await db.KnowledgeChunks.AsNoTracking().OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal(0, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", _slug, folder)));

        await using (var db = Db())
        {
            var second = await db.KnowledgeImportJobs.AsNoTracking().OrderByDescending(j => j.Id).FirstAsync(TestContext.Current.CancellationToken);
            Assert.Equal((0, 0, 4, 0), (second.Created, second.Updated, second.Unchanged, second.PassagesEmbedded));
            Assert.Equal(before, string.Join(",", await db.KnowledgeChunks.AsNoTracking().OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(TestContext.Current.CancellationToken)));
        }
    }

    [Fact]
    public async Task KbImportCrawlsALocalSite()
    {
        await using var site = await LocalSite.StartAsync();

        Assert.Equal(0, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", _slug, site.Url("/sitemap.xml").AbsoluteUri, "--max-pages", "5")));

        await using var db = Db();
        Assert.Equal(["Returns", "Shipping"], await db.Knowledge.AsNoTracking().OrderBy(k => k.Title).Select(k => k.Title).ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task KbImportFailsWithoutWritingForAnUnknownOrganizationABrokenFileOrAnUnreachableSite()
    {
        Assert.Equal(1, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", "no-such-org", ImportFiles.Path_("faq.md"))));
        Assert.Equal(1, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", _slug, ImportFiles.Path_("broken.pdf"))));
        Assert.Equal(1, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", _slug, Path.Combine(_directory, "missing.md"))));
        Assert.Equal(1, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", _slug, $"http://127.0.0.1:{CrawlerTests.FreePort()}/")));
        Assert.Equal(1, await SwitchboardCli.RunAsync(Args("kb", "import", "--org", _slug, ImportFiles.Path_("faq.md"), "--max-pages", "0")));

        await using var db = Db();
        Assert.Equal(0, await db.Knowledge.CountAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, await db.KnowledgeImportJobs.CountAsync(TestContext.Current.CancellationToken));
    }
}
