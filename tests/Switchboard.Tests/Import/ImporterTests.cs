using System.Text;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Knowledge.Import;

namespace Switchboard.Tests.Import;

public sealed class ImporterTests
{
    [Fact]
    public void AMarkdownFileIsOneArticleTitledByItsFirstHeading()
    {
        var article = Assert.Single(FileImporter.Read([ImportFiles.Fixture("handbook/getting-started.md")]));

        Assert.Equal("file:handbook/getting-started.md", article.SourceUri);
        Assert.Equal("Getting started with Acme Cloud", article.Title);
        Assert.Equal("handbook", article.Category);
        Assert.Contains("## Deploy your first site", article.Content, StringComparison.Ordinal);
        Assert.Contains("acme deploy --branch main", article.Content, StringComparison.Ordinal);
    }

    [Fact]
    public void AMarkdownFileWithSeveralTopLevelHeadingsIsOneArticlePerSection()
    {
        var articles = FileImporter.Read([ImportFiles.Fixture("faq.md")]);

        Assert.Equal(["Shipping", "Returns", "Gift cards"], articles.Select(a => a.Title));
        Assert.Equal(["file:faq.md#shipping", "file:faq.md#returns", "file:faq.md#gift-cards"], articles.Select(a => a.SourceUri));
        // The text before the first heading introduces the first section; the others stay on their own.
        Assert.StartsWith("Frequently asked questions", articles[0].Content, StringComparison.Ordinal);
        Assert.DoesNotContain("Shipping", articles[1].Content, StringComparison.Ordinal);
        Assert.All(articles, a => Assert.Equal("general", a.Category));
    }

    [Fact]
    public void AMarkdownFileLongerThanTheArticleLimitIsSplitAtItsSecondLevelHeadings()
    {
        var section = string.Join("\n\n", Enumerable.Repeat("A long paragraph about the product that goes on and on.", 2200));
        var text = $"# Manual\n\n## Installing\n\n{section}\n\n## Upgrading\n\n{section}\n";
        Assert.True(text.Length > KnowledgeApi.MaxContentLength);

        var articles = MarkdownImporter.Read("manual.md", text, "general");

        Assert.Equal(["Manual", "Manual — Installing", "Manual — Upgrading"], articles.Select(a => a.Title));
        Assert.Equal(["file:manual.md#introduction", "file:manual.md#installing", "file:manual.md#upgrading"], articles.Select(a => a.SourceUri));
        Assert.All(articles, a => Assert.True(a.Content.Length <= KnowledgeApi.MaxContentLength));
    }

    [Fact]
    public void AFolderIsEveryMarkdownAndTextFileBelowItWithItsSubFolderAsCategory()
    {
        var files = FileImporter.FromPath(ImportFiles.Path_("handbook"));
        var articles = FileImporter.Read(files);

        Assert.Equal(["billing/invoices.markdown", "billing/refunds.md", "getting-started.md", "notes.txt"], files.Select(f => f.Name));
        Assert.Equal(
            [("Invoices and receipts", "billing"), ("Refunds", "billing"), ("Getting started with Acme Cloud", "general"), ("Notes", "general")],
            articles.Select(a => (a.Title, a.Category)));
        Assert.Equal("file:billing/refunds.md", articles[1].SourceUri);
    }

    [Fact]
    public void AnHtmlPageKeepsItsMainContentAsMarkdownWithoutNavigationScriptsOrFooter()
    {
        var article = Assert.Single(FileImporter.Read([ImportFiles.Fixture("returns-policy.html")]));

        Assert.Equal("Returns policy", article.Title);
        Assert.Equal("file:returns-policy.html", article.SourceUri);
        Assert.Contains("You can return unused items within 60 days of delivery.", article.Content, StringComparison.Ordinal);
        Assert.Contains("## How to return an item", article.Content, StringComparison.Ordinal);
        Assert.Contains("1. Open your order page.\n2. Print the prepaid label.\n3. Drop the parcel at any post office.", article.Content, StringComparison.Ordinal);
        Assert.Contains("| Card | 5-10 days |", article.Content, StringComparison.Ordinal);
        foreach (var left in new[] { "analytics", "Shop", "Cookie settings", "Related", "font-family" })
        {
            Assert.DoesNotContain(left, article.Content, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void APdfIsReadPageByPageAndTitledByItsMetadata()
    {
        var article = Assert.Single(FileImporter.Read([new ImportFile("warranty.pdf", ImportFiles.ReturnsPdf())]));

        Assert.Equal("Warranty and repairs", article.Title);
        Assert.Equal("file:warranty.pdf", article.SourceUri);
        Assert.Contains("Every device has a two year warranty from the date of delivery.", article.Content, StringComparison.Ordinal);
        Assert.Contains("We pay the shipping both ways.", article.Content, StringComparison.Ordinal);
        Assert.True(article.Content.IndexOf("warranty from", StringComparison.Ordinal) < article.Content.IndexOf("Repairs take", StringComparison.Ordinal));
    }

    [Fact]
    public void APdfWithoutTitleMetadataIsTitledByItsFirstLine()
    {
        var article = Assert.Single(PdfImporter.Read("x.pdf", ImportFiles.Pdf(null, ["Opening hours", "We are open every day."]), "general"));

        Assert.Equal("Opening hours", article.Title);
    }

    [Fact]
    public void ABrokenPdfIsRefusedNamingTheFile()
    {
        var error = Assert.Throws<ImportException>(() => FileImporter.Read([ImportFiles.Fixture("broken.pdf")]));

        Assert.Equal("files", error.Field);
        Assert.StartsWith("broken.pdf: not a readable PDF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvRowsAreArticlesIdentifiedByTheirIdOrTheirRow()
    {
        var articles = FileImporter.Read([ImportFiles.Fixture("articles.csv")]);

        Assert.Equal(["csv:pw-reset", "csv:2fa", "csv:articles.csv#row-3"], articles.Select(a => a.SourceUri));
        Assert.Equal("Open Settings, choose Security and press \"Reset password\".\nWe email you a link that is valid for one hour.", articles[0].Content);
        Assert.Equal(["password", "security"], articles[0].Tags);
        Assert.Equal("account", articles[2].Category);
        Assert.Empty(articles[2].Tags);
    }

    [Fact]
    public void JsonLinesInTheEvalFormatAreArticles()
    {
        var articles = FileImporter.Read([ImportFiles.Fixture("articles.jsonl")]);

        Assert.Equal(["jsonl:card-declined", "jsonl:exchange-rate", "jsonl:top-up"], articles.Select(a => a.SourceUri));
        Assert.Equal(["card", "payments"], articles[0].Tags);
        Assert.Equal("general", articles[2].Category);
    }

    [Theory]
    [InlineData("rows.csv", "title,content\nFine,Text\n ,No title here\n", "rows.csv line 3: \"title\" is missing or empty.")]
    [InlineData("rows.csv", "name,body\nA,B\n", "rows.csv: the header row must name the columns title and content")]
    [InlineData("rows.jsonl", "{\"id\":\"a\",\"title\":\"A\",\"content\":\"x\"}\n{\"id\":\"b\",\"title\":\"\",\"content\":\"y\"}\n", "rows.jsonl line 2: \"title\" is missing or empty.")]
    [InlineData("rows.jsonl", "{\"id\":\"a\",\"title\":\"A\",\"content\":\"x\"}\n{\"id\":\"a\",\"title\":\"B\",\"content\":\"y\"}\n", "rows.jsonl: the id \"a\" is used by more than one row.")]
    [InlineData("rows.jsonl", "{\"title\":\"A\",\"content\":\"x\"}\n", "rows.jsonl line 1: \"id\" is missing or empty")]
    [InlineData("rows.jsonl", "{\"id\":\"a\",\"title\":\"A\",\"content\":\"x\",\"tags\":\"one\"}\n", "rows.jsonl line 1: \"tags\" must be an array of strings.")]
    [InlineData("rows.jsonl", "{\"id\":\"a\",\n", "rows.jsonl line 1: not valid JSON")]
    public void ABadRowRefusesTheFileNamingTheFileTheLineAndTheField(string name, string text, string problem)
    {
        var error = Assert.Throws<ImportException>(() => FileImporter.Read([new ImportFile(name, Encoding.UTF8.GetBytes(text))]));

        Assert.StartsWith(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnsupportedOrTooLargeOrEmptyFileIsRefusedBeforeAnyFileIsRead()
    {
        var good = ImportFiles.Fixture("faq.md");

        var unsupported = Assert.Throws<ImportException>(() => FileImporter.Read([good, new ImportFile("setup.exe", [1, 2, 3])]));
        Assert.StartsWith("setup.exe: unsupported file type \".exe\"", unsupported.Message, StringComparison.Ordinal);

        var large = Assert.Throws<ImportException>(() => FileImporter.Read([good, new ImportFile("huge.md", new byte[10 * 1024 * 1024])]));
        Assert.Equal("huge.md is 10.0 MB; the limit is 4 MB per file. Split it into several files.", large.Message);

        var empty = Assert.Throws<ImportException>(() => FileImporter.Read([new ImportFile("empty.md", [])]));
        Assert.Equal("empty.md is empty.", empty.Message);
    }

    [Fact]
    public void TheSameIdInTwoFilesOfOneImportIsRefused()
    {
        var row = Encoding.UTF8.GetBytes("{\"id\":\"a\",\"title\":\"A\",\"content\":\"x\"}\n");

        var error = Assert.Throws<ImportException>(() => FileImporter.Read([new ImportFile("one.jsonl", row), new ImportFile("two.jsonl", row)]));

        Assert.Contains("jsonl:a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHashChangesWithEveryStoredFieldAndOnlyWithThem()
    {
        var a = new ImportedArticle("file:a.md", "Title", "Content", "general", ["x"]);

        Assert.Equal(a.Hash(), (a with { SourceUri = "file:b.md" }).Hash());
        Assert.NotEqual(a.Hash(), (a with { Title = "Title 2" }).Hash());
        Assert.NotEqual(a.Hash(), (a with { Content = "Content 2" }).Hash());
        Assert.NotEqual(a.Hash(), (a with { Category = "billing" }).Hash());
        Assert.NotEqual(a.Hash(), (a with { Tags = ["y"] }).Hash());
    }
}
