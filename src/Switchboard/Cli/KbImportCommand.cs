using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using Switchboard.Data;
using Switchboard.Features.Knowledge.Import;

namespace Switchboard.Cli;

/// <summary>
/// <c>kb import --org &lt;slug&gt; &lt;file|dir|url&gt;</c>: imports into an organization's knowledge base on the trusted path
/// and embeds what changed in-process, with a progress bar (plain lines when the output is redirected). The
/// import is recorded as a job of kind <c>cli</c>, like the console's, so it shows in the organization's imports.
/// </summary>
public static class KbImportCommand
{
    public static Command Create()
    {
        var org = new Option<string>("--org") { Description = "Slug of the organization to import into.", Required = true };
        var source = new Argument<string>("source") { Description = "A file (.md .markdown .txt .html .htm .pdf .csv .jsonl), a folder of Markdown/text files, or an http(s) URL of a page or sitemap.xml." };
        var maxPages = new Option<int>("--max-pages") { Description = $"A website: most pages to fetch (1-{SiteCrawler.HardMaxPages}).", DefaultValueFactory = _ => SiteCrawler.DefaultMaxPages };
        var maxDepth = new Option<int>("--max-depth") { Description = $"A website: most link hops from the start page (0-{SiteCrawler.HardMaxDepth}).", DefaultValueFactory = _ => SiteCrawler.DefaultMaxDepth };
        var import = new Command("import", "Import Markdown, HTML, PDF, CSV or JSON lines files, a folder, or a website into an organization's knowledge base.")
        {
            org, source, maxPages, maxDepth,
        };
        import.SetAction(async (r, ct) =>
        {
            var pages = r.GetValue(maxPages);
            var depth = r.GetValue(maxDepth);
            if (pages is < 1 or > SiteCrawler.HardMaxPages) throw new InvalidOperationException($"--max-pages must be 1-{SiteCrawler.HardMaxPages}.");
            if (depth is < 0 or > SiteCrawler.HardMaxDepth) throw new InvalidOperationException($"--max-depth must be 0-{SiteCrawler.HardMaxDepth}.");
            return await RunAsync(r.GetValue(org)!, r.GetValue(source)!, pages, depth, [.. r.UnmatchedTokens], ct);
        });
        return new Command("kb", "Knowledge base: import.") { import };
    }

    private static async Task<int> RunAsync(string slug, string source, int maxPages, int maxDepth, string[] configuration, CancellationToken ct)
    {
        // The operator runs the CLI: internal sites (localhost, private addresses) may be crawled from here.
        await using var host = await SwitchboardCli.BuildMigratedHostAsync(["--Knowledge:Import:AllowPrivateAddresses=true", .. configuration], ct, quiet: true);
        var systemDb = host.Services.GetRequiredService<SystemDb>();
        var importer = host.Services.GetRequiredService<KnowledgeImporter>();
        var crawler = host.Services.GetRequiredService<SiteCrawler>();

        Guid orgId;
        await using (var db = systemDb.CreateContext())
        {
            orgId = await db.Organizations.Where(o => o.Slug == slug).Select(o => (Guid?)o.Id).SingleOrDefaultAsync(ct)
                ?? throw new InvalidOperationException($"No organization has the slug '{slug}'. Create it in the console, or check the spelling.");
        }

        Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> read;
        string kindSource;
        try
        {
            if (Uri.TryCreate(source, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            {
                await crawler.CheckAsync(url, ct);
                kindSource = url.AbsoluteUri;
                read = async (progress, token) =>
                {
                    var result = await crawler.CrawlAsync(new CrawlRequest(url, maxPages, maxDepth), progress, token);
                    return new ImportSource(result.Articles, result.Failed, result.Warnings);
                };
            }
            else
            {
                var path = ResolvePath(source, CallerPaths.ShellDirectory);
                // Every file is read and checked before anything is written.
                var articles = FileImporter.Read(FileImporter.FromPath(path));
                kindSource = path;
                read = (_, _) => Task.FromResult(new ImportSource(articles, 0, []));
            }
        }
        catch (ImportException e)
        {
            throw new InvalidOperationException(e.Message);
        }

        var job = new KnowledgeImportJob { OrganizationId = orgId, Kind = "cli", Source = kindSource.Length <= 2048 ? kindSource : kindSource[..2047] + "…" };
        await using (var db = systemDb.CreateContext())
        {
            db.KnowledgeImportJobs.Add(job);
            await db.SaveChangesAsync(ct);
        }

        var finished = Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive
            ? await RunPlainAsync(importer, job.Id, read, ct)
            : await RunWithBarsAsync(importer, job.Id, read, ct);

        foreach (var warning in (finished.Warnings ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Console.WriteLine($"warning: {warning}");
        }
        if (finished.Status == ImportStatus.Failed)
        {
            throw new InvalidOperationException(finished.Error ?? "The import failed.");
        }
        Console.WriteLine($"kb import: {finished.Found} found, {finished.Created} created, {finished.Updated} updated, {finished.Unchanged} unchanged, " +
                          $"{finished.Failed} failed; {finished.PassagesEmbedded} passages embedded.");
        return 0;
    }

    private static async Task<KnowledgeImportJob> RunPlainAsync(KnowledgeImporter importer, Guid jobId,
        Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> read, CancellationToken ct)
    {
        var last = "";
        return await importer.RunAsync(jobId, read, job =>
        {
            var line = job.PassagesTotal > 0 ? $"embedding: {job.PassagesEmbedded}/{job.PassagesTotal} passages"
                : job.Created + job.Updated + job.Unchanged > 0 ? $"written: {job.Created} created, {job.Updated} updated, {job.Unchanged} unchanged"
                : $"reading: {job.Found} found";
            if (line != last && job.Status == ImportStatus.Running) Console.WriteLine(last = line);
        }, ct);
    }

    private static async Task<KnowledgeImportJob> RunWithBarsAsync(KnowledgeImporter importer, Guid jobId,
        Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> read, CancellationToken ct)
    {
        KnowledgeImportJob? finished = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var reading = context.AddTask("Reading", maxValue: 1);
                var embedding = context.AddTask("Embedding passages", autoStart: false, maxValue: 1);
                finished = await importer.RunAsync(jobId, read, job =>
                {
                    reading.Description = $"Reading ({job.Found} found)";
                    if (job.Created + job.Updated + job.Unchanged > 0 || job.Status != ImportStatus.Running) reading.Value = reading.MaxValue;
                    if (job.PassagesTotal > 0)
                    {
                        if (!embedding.IsStarted) embedding.StartTask();
                        embedding.MaxValue = job.PassagesTotal;
                        embedding.Value = job.PassagesEmbedded;
                    }
                    if (job.Status != ImportStatus.Running)
                    {
                        reading.StopTask();
                        embedding.Value = embedding.MaxValue;
                        embedding.StopTask();
                    }
                }, ct);
            });
        return finished!;
    }

    /// <summary>A file or folder as typed: as given when it exists there, else relative to the shell's folder (see <see cref="CallerPaths"/>).</summary>
    private static string ResolvePath(string path, string? shellDirectory)
    {
        if (Path.IsPathRooted(path) || File.Exists(path) || Directory.Exists(path) || shellDirectory is null) return Path.GetFullPath(path);
        return Path.GetFullPath(Path.Combine(shellDirectory, path));
    }
}
