using System.Text;

namespace Switchboard.Features.Knowledge.Import;

/// <summary>
/// Markdown and plain text. A file is one article titled by its first <c># </c> heading (else its file
/// name). A file with several top-level headings is one article per <c># </c> section; a single article
/// longer than the content limit is split at its <c>## </c> headings. Each part keeps its own source_uri
/// (<c>file:path#section-slug</c>), so editing one section re-imports only that section.
/// </summary>
public static class MarkdownImporter
{
    public static List<ImportedArticle> Read(string name, string text, string category)
    {
        var lines = ImportText.Normalize(text).Split('\n');
        var sections = SplitAt(lines, "# ");
        var articles = new List<ImportedArticle>();
        if (sections.Count(s => s.Heading is not null) <= 1)
        {
            var heading = sections.FirstOrDefault(s => s.Heading is not null)?.Heading;
            var title = heading is null ? ImportText.TitleFromFileName(name) : ImportText.Title(heading);
            var content = Join(lines);
            if (content.Length <= KnowledgeApi.MaxContentLength)
            {
                return Add(articles, $"file:{name}", title, content, name, category);
            }
            // Too long for one article: one per second-level section, titled "Title — Section".
            foreach (var part in SplitAt(lines, "## "))
            {
                var partTitle = part.Heading is null ? title : ImportText.Title($"{title} — {part.Heading}");
                Add(articles, $"file:{name}#{ImportText.Slug(part.Heading ?? "introduction")}", partTitle, Join(part.Lines), name, category);
            }
            return articles;
        }

        var preamble = "";
        foreach (var section in sections)
        {
            if (section.Heading is null)
            {
                // Text before the first heading introduces the first section.
                preamble = Join(section.Lines);
                continue;
            }
            var content = Join(section.Lines);
            if (preamble.Length > 0)
            {
                content = preamble + "\n\n" + content;
                preamble = "";
            }
            Add(articles, $"file:{name}#{ImportText.Slug(section.Heading)}", ImportText.Title(section.Heading), content, name, category);
        }
        return articles;
    }

    private static List<ImportedArticle> Add(List<ImportedArticle> articles, string uri, string title, string content, string name, string category)
    {
        if (string.IsNullOrWhiteSpace(content)) return articles;
        if (content.Length > KnowledgeApi.MaxContentLength)
        {
            throw new ImportException("files", $"{name}: the section \"{title}\" is {content.Length} characters; the limit is {KnowledgeApi.MaxContentLength}. Split it with ## headings or into several files.");
        }
        // Two sections with the same heading get distinct identities, in order.
        var unique = uri;
        for (var n = 2; articles.Any(a => a.SourceUri == unique); n++) unique = $"{uri}-{n}";
        articles.Add(new ImportedArticle(unique, title, content, category, []));
        return articles;
    }

    private sealed record Section(string? Heading, List<string> Lines);

    /// <summary>Sections that start at a heading with this marker; fenced code blocks are not searched.</summary>
    private static List<Section> SplitAt(string[] lines, string marker)
    {
        var sections = new List<Section> { new(null, []) };
        var fenced = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal) || line.TrimStart().StartsWith("~~~", StringComparison.Ordinal)) fenced = !fenced;
            if (!fenced && line.StartsWith(marker, StringComparison.Ordinal) && line[marker.Length..].Trim().Trim('#').Trim() is { Length: > 0 } heading)
            {
                sections.Add(new Section(heading, [line]));
            }
            else
            {
                sections[^1].Lines.Add(line);
            }
        }
        if (sections[0].Lines.All(string.IsNullOrWhiteSpace)) sections.RemoveAt(0);
        return sections;
    }

    private static string Join(IEnumerable<string> lines) => ImportText.Normalize(string.Join('\n', lines));

    /// <summary>Text as UTF-8 (a byte-order mark picks UTF-16 or UTF-32).</summary>
    public static string Decode(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }
}
