using System.Text;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Switchboard.Features.Knowledge.Import;

/// <summary>
/// PDF with PdfPig: each page's words in reading order (layout-aware), pages separated by blank lines.
/// The title is the document's Title metadata, else its first line, else the file name. A document longer
/// than the content limit becomes several articles of whole pages ("Title (part 2)", <c>file:name#part-2</c>).
/// </summary>
public static class PdfImporter
{
    public static List<ImportedArticle> Read(string name, byte[] bytes, string category)
    {
        List<string> pages;
        string? metadataTitle;
        try
        {
            using var document = PdfDocument.Open(bytes);
            metadataTitle = document.Information.Title;
            pages = [.. document.GetPages().Select(p => ImportText.Normalize(ContentOrderTextExtractor.GetText(p, new ContentOrderTextExtractor.Options
            {
                SeparateParagraphsWithDoubleNewline = true,
                ReplaceWhitespaceWithSpace = true,
            })))];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PdfPig throws several kinds (format, tokenization, encryption); to the user they all mean one thing.
            throw new ImportException("files", $"{name}: not a readable PDF ({e.Message}). Export it again as PDF, or import its text as Markdown.");
        }

        var text = string.Join("\n\n", pages.Where(p => p.Length > 0));
        if (text.Length == 0)
        {
            throw new ImportException("files", $"{name}: the PDF has no text layer (scanned images?). Run it through OCR first, or import its text as Markdown.");
        }
        var firstLine = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
        var title = !string.IsNullOrWhiteSpace(metadataTitle) ? ImportText.Title(metadataTitle)
            : firstLine.Length <= 120 ? ImportText.Title(firstLine) : ImportText.TitleFromFileName(name);
        if (text.Length <= KnowledgeApi.MaxContentLength)
        {
            return [new ImportedArticle($"file:{name}", title, text, category, [])];
        }

        var parts = new List<StringBuilder> { new() };
        foreach (var page in pages.Where(p => p.Length > 0))
        {
            if (page.Length > KnowledgeApi.MaxContentLength)
            {
                throw new ImportException("files", $"{name}: page {pages.IndexOf(page) + 1} alone has {page.Length} characters; the limit is {KnowledgeApi.MaxContentLength}.");
            }
            if (parts[^1].Length > 0 && parts[^1].Length + 2 + page.Length > KnowledgeApi.MaxContentLength) parts.Add(new StringBuilder());
            if (parts[^1].Length > 0) parts[^1].Append("\n\n");
            parts[^1].Append(page);
        }
        return [.. parts.Select((p, i) => new ImportedArticle($"file:{name}#part-{i + 1}", ImportText.Title($"{title} (part {i + 1})"), p.ToString(), category, []))];
    }
}
