using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Knowledge.Import;

public sealed record CrawlImportRequest(string? Url, int? MaxPages, int? MaxDepth);

public sealed record ImportJobResponse(Guid Id, Guid OrganizationId, string Kind, string Source, string Status,
    int Found, int Created, int Updated, int Unchanged, int Failed, int PassagesTotal, int PassagesEmbedded,
    string? Error, List<string> Warnings, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt)
{
    public static ImportJobResponse From(KnowledgeImportJob j) => new(j.Id, j.OrganizationId, j.Kind, j.Source, j.Status,
        j.Found, j.Created, j.Updated, j.Unchanged, j.Failed, j.PassagesTotal, j.PassagesEmbedded,
        j.Error, j.Warnings is null ? [] : [.. j.Warnings.Split('\n')], j.CreatedAt, j.UpdatedAt, j.FinishedAt);
}

/// <summary>
/// Knowledge imports (docs/knowledge-import.md): admins upload files or name a website, members follow the jobs.
/// Uploaded files are read and validated in the request (a bad file is a 400 naming it, and nothing is written);
/// writing and embedding run in the background and the job shows their progress.
/// </summary>
public static class KnowledgeImportApi
{
    public const int JobsListed = 50;

    public static IEndpointRouteBuilder MapKnowledgeImportApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/orgs/{orgId}/knowledge/imports").WithTags("Knowledge import").RequireOrgRole(OrgRoles.Member);
        read.MapGet("/", (HttpContext http, AppDbContext db, CancellationToken ct) => List(db, http.OrgId(), ct));
        read.MapGet("/{jobId:guid}", (HttpContext http, Guid jobId, AppDbContext db, CancellationToken ct) => Get(db, http.OrgId(), jobId, ct));

        var write = app.MapGroup("/api/orgs/{orgId}/knowledge/imports").WithTags("Knowledge import").RequireOrgRole(OrgRoles.Admin);
        write.MapPost("/", (HttpContext http, AppDbContext db, KnowledgeImportQueue queue, SiteCrawler crawler, CancellationToken ct) =>
            Start(http, db, queue, crawler, ct))
            // Read by hand (multipart or JSON), so that any other body is a problem naming it, not a bare 415.
            .WithDescription("multipart/form-data with files (.md .markdown .txt .html .htm .pdf .csv .jsonl), or JSON {url, maxPages?, maxDepth?}.");
        return app;
    }

    private static async Task<Ok<List<ImportJobResponse>>> List(AppDbContext db, Guid orgId, CancellationToken ct)
    {
        var jobs = await db.KnowledgeImportJobs.AsNoTracking().Where(j => j.OrganizationId == orgId)
            .OrderByDescending(j => j.Id).Take(JobsListed).ToListAsync(ct);
        return TypedResults.Ok(jobs.Select(ImportJobResponse.From).ToList());
    }

    private static async Task<Results<Ok<ImportJobResponse>, ProblemHttpResult>> Get(AppDbContext db, Guid orgId, Guid jobId, CancellationToken ct)
    {
        var job = await db.KnowledgeImportJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId && j.OrganizationId == orgId, ct);
        return job is null ? Problems.NotFound("jobId", $"Import job {jobId} does not exist here.") : TypedResults.Ok(ImportJobResponse.From(job));
    }

    private static async Task<Results<Accepted<ImportJobResponse>, ValidationProblem>> Start(
        HttpContext http, AppDbContext db, KnowledgeImportQueue queue, SiteCrawler crawler, CancellationToken ct)
    {
        var orgId = http.OrgId();
        KnowledgeImportJob job;
        Func<IProgress<(int Fetched, int Found)>, CancellationToken, Task<ImportSource>> read;
        try
        {
            if (http.Request.HasFormContentType)
            {
                var files = await UploadedFilesAsync(http.Request, ct);
                // Read now, so that a bad file is refused before anything is written or queued.
                var articles = FileImporter.Read(files);
                job = NewJob(orgId, "upload", string.Join(", ", files.Select(f => f.Name)), db);
                read = (_, _) => Task.FromResult(new ImportSource(articles, 0, []));
            }
            else if (http.Request.HasJsonContentType())
            {
                var crawl = await CrawlRequestAsync(http.Request, ct);
                await crawler.CheckAsync(crawl.Start, ct);
                job = NewJob(orgId, "crawl", crawl.Start.AbsoluteUri, db);
                read = async (progress, token) =>
                {
                    var result = await crawler.CrawlAsync(crawl, progress, token);
                    return new ImportSource(result.Articles, result.Failed, result.Warnings);
                };
            }
            else
            {
                return Problems.Invalid("body", "Send multipart/form-data with one or more files, or JSON {\"url\": \"https://…\", \"maxPages\": 200, \"maxDepth\": 3}.");
            }
        }
        catch (ImportException e)
        {
            return Problems.Invalid(e.Field, e.Message);
        }
        await db.SaveChangesAsync(ct);
        queue.Enqueue(job.Id, read);
        return TypedResults.Accepted($"/api/orgs/{orgId}/knowledge/imports/{job.Id}", ImportJobResponse.From(job));
    }

    /// <summary>A new job of the organization, added to <paramref name="db"/> (the API and the console's import panel).</summary>
    internal static KnowledgeImportJob NewJob(Guid orgId, string kind, string source, AppDbContext db)
    {
        var job = new KnowledgeImportJob
        {
            OrganizationId = orgId,
            Kind = kind,
            Source = source.Length <= 2048 ? source : source[..2047] + "…",
            CreatedBy = db.Principal.UserId,
        };
        db.KnowledgeImportJobs.Add(job);
        return job;
    }

    private static async Task<List<ImportFile>> UploadedFilesAsync(HttpRequest request, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        if (form.Files.Count == 0) throw new ImportException("files", "The form has no files. Send them in the field \"files\".");
        if (form.Files.Count > FileImporter.MaxFiles) throw new ImportException("files", $"{form.Files.Count} files; at most {FileImporter.MaxFiles} in one import.");
        foreach (var file in form.Files)
        {
            FileImporter.Check(SafeName(file.FileName), file.Length); // by name and size, before any is read
        }
        var files = new List<ImportFile>();
        foreach (var file in form.Files)
        {
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, ct);
            files.Add(new ImportFile(SafeName(file.FileName), buffer.ToArray()));
        }
        return files;
    }

    /// <summary>A folder upload names files by relative path: keep it (it is the category), but never a rooted or parent path.</summary>
    private static string SafeName(string name)
    {
        var parts = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p is not ("." or "..")).ToArray();
        return parts.Length == 0 ? "file" : string.Join('/', parts);
    }

    private static async Task<CrawlRequest> CrawlRequestAsync(HttpRequest request, CancellationToken ct)
    {
        CrawlImportRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<CrawlImportRequest>(ct);
        }
        catch (JsonException e)
        {
            throw new ImportException("body", $"The body is not valid JSON: {e.Message}");
        }
        return ToCrawlRequest(body);
    }

    /// <summary>Checks a crawl's url, maxPages and maxDepth (the API and the console's import panel).</summary>
    internal static CrawlRequest ToCrawlRequest(CrawlImportRequest? body)
    {
        if (string.IsNullOrWhiteSpace(body?.Url)) throw new ImportException("url", "The url of a page or a sitemap.xml is required.");
        if (!Uri.TryCreate(body.Url.Trim(), UriKind.Absolute, out var start) || start.Scheme is not ("http" or "https"))
        {
            throw new ImportException("url", $"\"{body.Url}\" is not an http or https address.");
        }
        var maxPages = body.MaxPages ?? SiteCrawler.DefaultMaxPages;
        if (maxPages is < 1 or > SiteCrawler.HardMaxPages) throw new ImportException("maxPages", $"maxPages must be 1-{SiteCrawler.HardMaxPages}.");
        var maxDepth = body.MaxDepth ?? SiteCrawler.DefaultMaxDepth;
        if (maxDepth is < 0 or > SiteCrawler.HardMaxDepth) throw new ImportException("maxDepth", $"maxDepth must be 0-{SiteCrawler.HardMaxDepth}.");
        return new CrawlRequest(start, maxPages, maxDepth);
    }
}

public static class KnowledgeImportServiceCollectionExtensions
{
    /// <summary>Importers, the crawler's HTTP client and the background import service (options: Knowledge:Import).</summary>
    public static IServiceCollection AddSwitchboardKnowledgeImport(this IServiceCollection services)
    {
        services.AddKnowledgeCrawler();
        services.AddSingleton<KnowledgeImporter>();
        services.AddSingleton<KnowledgeImportQueue>();
        services.AddHostedService<KnowledgeImportService>();
        return services;
    }

    /// <summary>The site crawler and its HTTP client: no redirects followed by the handler (the crawler keeps them on the site), timeouts.</summary>
    public static IServiceCollection AddKnowledgeCrawler(this IServiceCollection services)
    {
        services.AddOptions<KnowledgeImportOptions>().BindConfiguration("Knowledge:Import");
        services.AddHttpClient(SiteCrawler.HttpClientName, client =>
            {
                client.Timeout = TimeSpan.FromSeconds(15);
                client.DefaultRequestHeaders.UserAgent.ParseAdd($"{RobotsTxt.UserAgent}/1.0 (knowledge import)");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) });
        services.AddSingleton<SiteCrawler>();
        return services;
    }
}
