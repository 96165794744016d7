using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Switchboard.BrowserTests.Infrastructure;
using Switchboard.Data;
using Switchboard.Features.Knowledge;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>
/// The knowledge console in a real browser: an admin manages articles and imports, an agent only reads, and the
/// gap report and answer tests render. Each test signs in to its own organization; waits are for visible states.
/// </summary>
public sealed class KnowledgeConsoleTests
{
    private readonly BrowserFixture _fixture;

    public KnowledgeConsoleTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        // Background work (embedding, an answer-test run) takes a few seconds on a busy machine; the test's own timeout bounds it.
        SetDefaultExpectTimeout(30_000);
    }

    [Fact(Timeout = 120_000)]
    public async Task AnAdminCreatesFindsEditsDeactivatesAndDeletesAnArticle()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);
        await AddArticleAsync(org.Id, "Shipping times", "Parcels arrive within 3 working days.", "shipping", ct);
        await using var context = await _fixture.NewContextAsync(ct);
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Admin, org.KnowledgePath);
        await ConsoleAccounts.WaitForInteractiveKnowledgePageAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "New article", Exact = true }).ClickAsync();
        var editor = page.Locator("form").Filter(new() { Has = page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }) });
        await editor.GetByLabel("Title").FillAsync("Refund policy");
        await editor.GetByLabel("Category", new() { Exact = true }).FillAsync("billing");
        await editor.GetByLabel("Tags (comma-separated)").FillAsync("refunds, money");
        await editor.GetByLabel("Content (Markdown)").FillAsync("## When\n\nRefunds are paid within **14 days** of the return.");
        await Expect(editor.Locator(".markdown-preview strong")).ToHaveTextAsync("14 days");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();

        var refund = Row(page, "Refund policy");
        await Expect(refund).ToContainTextAsync("billing");
        await Expect(refund).ToContainTextAsync("refunds, money");
        // Its passages get embedded in the background; the page says when it is searchable.
        await Expect(page.Locator(".indexing-state")).ToContainTextAsync("All articles are indexed and searchable (passages last indexed");

        await page.GetByLabel("Search title and content").FillAsync("refunds are paid");
        await Expect(Row(page, "Shipping times")).ToHaveCountAsync(0);
        await Expect(Row(page, "Refund policy")).ToHaveCountAsync(1);
        await page.GetByLabel("Search title and content").FillAsync("");
        await Expect(Row(page, "Shipping times")).ToHaveCountAsync(1);

        await page.Locator("div.mud-input-control.mud-select").Filter(new() { HasText = "Category" }).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("shipping", new() { Exact = true }).ClickAsync();
        await Expect(Row(page, "Refund policy")).ToHaveCountAsync(0);
        await Expect(Row(page, "Shipping times")).ToHaveCountAsync(1);
        await page.Locator("div.mud-input-control.mud-select").Filter(new() { HasText = "Category" }).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("billing", new() { Exact = true }).ClickAsync();
        await Expect(Row(page, "Shipping times")).ToHaveCountAsync(0);
        await Expect(Row(page, "Refund policy")).ToHaveCountAsync(1);

        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Refund policy", Exact = true }).ClickAsync();
        await Expect(editor.GetByLabel("Title")).ToHaveValueAsync("Refund policy");
        await editor.GetByLabel("Title").FillAsync("Refunds");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(Row(page, "Refunds")).ToContainTextAsync("active");

        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate Refunds", Exact = true }).ClickAsync();
        await Expect(Row(page, "Refunds").Locator("td[data-label=Status]")).ToHaveTextAsync("inactive");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Activate Refunds", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Refunds", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("This cannot be undone");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(Row(page, "Refunds")).ToHaveCountAsync(0);
        await Screenshots.TakeAsync(page, "knowledge-crud", fullPage: true);
    }

    [Fact(Timeout = 120_000)]
    public async Task AnAdminImportsAMarkdownFileAndSeesTheJobSucceedWithItsArticleListed()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);
        await using var context = await _fixture.NewContextAsync(ct);
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Admin, org.KnowledgePath);
        await ConsoleAccounts.WaitForInteractiveKnowledgePageAsync(page);

        await UploadAsync(page, new FilePayload
        {
            Name = "returning-items.md",
            MimeType = "text/markdown",
            Buffer = Encoding.UTF8.GetBytes("# Returning an item\n\nYou can return any unworn item within 30 days.\n\n## Labels\n\nPrint the prepaid label from your order page.\n"),
        });

        var job = page.Locator(".import-job").Filter(new() { HasText = "returning-items.md" });
        await Expect(job).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(job.Locator(".import-status")).ToHaveTextAsync("succeeded");
        await Expect(job.Locator(".import-progress")).ToContainTextAsync("1 found: 1 created, 0 updated, 0 unchanged, 0 failed");
        await Expect(job.Locator(".import-progress")).ToContainTextAsync("Searchable now");
        await Expect(Row(page, "Returning an item")).ToContainTextAsync("general");
        await Screenshots.TakeAsync(page, "knowledge-import", fullPage: true);

        // The same file again: nothing changes, and the new job says so.
        await UploadAsync(page, new FilePayload
        {
            Name = "returning-items.md",
            MimeType = "text/markdown",
            Buffer = Encoding.UTF8.GetBytes("# Returning an item\n\nYou can return any unworn item within 30 days.\n\n## Labels\n\nPrint the prepaid label from your order page.\n"),
        });
        await Expect(page.Locator(".import-job[data-status=succeeded]")).ToHaveCountAsync(2);
        await Expect(page.Locator(".import-job").First.Locator(".import-progress")).ToContainTextAsync("0 created, 0 updated, 1 unchanged");
        await Expect(Row(page, "Returning an item")).ToHaveCountAsync(1);
    }

    [Fact(Timeout = 120_000)]
    public async Task BadImportsShowAReadableErrorAndStartNoJob()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);
        await using var context = await _fixture.NewContextAsync(ct);
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Admin, org.KnowledgePath);
        await ConsoleAccounts.WaitForInteractiveKnowledgePageAsync(page);

        // .invalid never resolves (RFC 6761): the site cannot be reached.
        await page.GetByLabel("Page or sitemap.xml URL").FillAsync("https://help.unreachable.invalid/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Import website", Exact = true }).ClickAsync();
        var problem = page.Locator(".import-problem");
        await Expect(problem).ToContainTextAsync("Could not reach https://help.unreachable.invalid/");
        await Screenshots.TakeAsync(page, "knowledge-import-unreachable");

        await UploadAsync(page, new FilePayload
        {
            Name = "notes.docx",
            MimeType = "application/octet-stream",
            Buffer = [1, 2, 3],
        });
        await Expect(problem).ToContainTextAsync("notes.docx: unsupported file type \".docx\"");

        await Expect(page.Locator(".import-job")).ToHaveCountAsync(0);
        await using var db = _fixture.Server.Services.GetRequiredService<SystemDb>().CreateContext();
        Assert.False(db.KnowledgeImportJobs.Any(j => j.OrganizationId == org.Id));
    }

    [Fact(Timeout = 120_000)]
    public async Task AnAgentSeesTheKnowledgeReadOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);
        await AddArticleAsync(org.Id, "Opening hours", "We answer from 9 to 5.", "general", ct);
        await using var context = await _fixture.NewContextAsync(ct);
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Agent, org.KnowledgePath);
        await ConsoleAccounts.WaitForInteractiveKnowledgePageAsync(page);

        await Expect(page.GetByText("Only organization admins can change articles. Your role")).ToBeVisibleAsync();
        await Expect(Row(page, "Opening hours")).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "New article" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Edit Opening hours" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete Opening hours" })).ToHaveCountAsync(0);
        await Expect(page.Locator(".knowledge-import")).ToHaveCountAsync(0);
        await Expect(page.Locator("input[type=file]")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Answer tests" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Knowledge gaps" })).ToHaveCountAsync(1);
    }

    [Fact(Timeout = 120_000)]
    public async Task TheGapReportAndAnswerTestsRenderForAnAdminAndARunShowsItsMetrics()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await ConsoleAccounts.CreateOrganizationAsync(_fixture.Server);
        await using var context = await _fixture.NewContextAsync(ct);
        var page = await context.NewPageAsync();
        await ConsoleAccounts.SignInAsync(page, org.Admin, org.KnowledgePath);
        await ConsoleAccounts.WaitForInteractiveKnowledgePageAsync(page);

        // Links inside the circuit: the next pages are interactive at once.
        await page.GetByRole(AriaRole.Link, new() { Name = "Knowledge gaps" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Knowledge gaps", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("question(s) in")).ToContainTextAsync("0 question(s) in 0 group(s)");

        await page.GoBackAsync();
        await ConsoleAccounts.WaitForInteractiveKnowledgePageAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Answer tests" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Answer tests", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("The tests have not run yet.")).ToBeVisibleAsync();

        await page.GetByLabel("Question").FillAsync("Can I pay with seashells?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await Expect(page.Locator("tr").Filter(new() { HasText = "Can I pay with seashells?" })).ToContainTextAsync("should not answer");

        await page.GetByRole(AriaRole.Button, new() { Name = "Run now" }).ClickAsync();
        var metrics = page.Locator(".metrics");
        await Expect(page.GetByText("completed · manual")).ToBeVisibleAsync();
        await Expect(metrics.Locator("tr").First).ToContainTextAsync("Questions");
        await Expect(metrics.Locator("tr").First.Locator("td").First).ToHaveTextAsync("1");
        await Expect(metrics).ToContainTextAsync("Overall accuracy");
        await Screenshots.TakeAsync(page, "answer-tests", fullPage: true);
    }

    /// <summary>
    /// Sets the upload's files once Blazor's InputFile has hooked its change event (it does so after rendering, and
    /// MudFileUpload renders a fresh input after each upload): files set earlier would go unnoticed.
    /// </summary>
    private static async Task UploadAsync(IPage page, FilePayload file)
    {
        const string Input = "input.import-files:not(.d-none)";
        await page.WaitForFunctionAsync($"() => document.querySelector('{Input}')?._blazorInputFileNextFileId !== undefined");
        await page.Locator(Input).SetInputFilesAsync(file);
    }

    private static ILocator Row(IPage page, string title) =>
        page.Locator("tbody tr").Filter(new() { Has = page.Locator("td[data-label=Title]").GetByText(title, new() { Exact = true }) });

    private async Task AddArticleAsync(Guid orgId, string title, string content, string category, CancellationToken ct)
    {
        await using var db = _fixture.Server.Services.GetRequiredService<SystemDb>().CreateContext();
        db.Knowledge.Add(new KnowledgeArticle { OrganizationId = orgId, Title = title, Content = content, Category = category });
        await db.SaveChangesAsync(ct);
    }
}
