using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Switchboard.Features.Knowledge.Import;

/// <summary>A web page read as an article: its title, its main content as Markdown-like text, and its links.</summary>
public sealed record HtmlPage(string? Title, string Content, IReadOnlyList<Uri> Links, bool NoIndex, bool NoFollow);

/// <summary>
/// HTML with AngleSharp. The title is the page's first <c>&lt;h1&gt;</c>, else its <c>&lt;title&gt;</c>. The content is
/// <c>&lt;main&gt;</c>, else <c>&lt;article&gt;</c>, else the body, without navigation, headers, footers, asides, forms,
/// scripts and styles; headings become <c>#</c> lines, list items <c>-</c> lines, tables <c>|</c> rows, code blocks fences.
/// </summary>
public static class HtmlImporter
{
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg", "canvas",
        "button", "select", "input", "textarea", "object", "embed", "video", "audio", "head",
    };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "section", "article", "main", "blockquote", "dl", "dt", "dd", "figure", "figcaption", "address", "details", "summary", "hr",
    };

    public static List<ImportedArticle> Read(string name, string html, string category)
    {
        var page = Parse(html, null);
        if (string.IsNullOrWhiteSpace(page.Content))
        {
            throw new ImportException("files", $"{name}: the page has no text to import.");
        }
        if (page.Content.Length > KnowledgeApi.MaxContentLength)
        {
            throw new ImportException("files", $"{name}: the page's text is {page.Content.Length} characters; the limit is {KnowledgeApi.MaxContentLength}. Split the page.");
        }
        return [new ImportedArticle($"file:{name}", page.Title ?? ImportText.TitleFromFileName(name), page.Content, category, [])];
    }

    /// <param name="baseUri">The page's address, to resolve its links; null for an uploaded file (no links).</param>
    public static HtmlPage Parse(string html, Uri? baseUri)
    {
        var document = new HtmlParser().ParseDocument(html);
        var robots = document.QuerySelectorAll("meta[name]")
            .Where(m => string.Equals(m.GetAttribute("name"), "robots", StringComparison.OrdinalIgnoreCase))
            .Select(m => m.GetAttribute("content") ?? "")
            .Aggregate("", (all, c) => all + "," + c.ToLowerInvariant());

        var root = (IElement?)document.QuerySelector("main") ?? document.QuerySelector("[role=main]") ?? document.QuerySelector("article") ?? document.Body;
        var h1 = root?.QuerySelector("h1")?.TextContent ?? document.QuerySelector("h1")?.TextContent;
        var title = !string.IsNullOrWhiteSpace(h1) ? ImportText.Title(h1)
            : !string.IsNullOrWhiteSpace(document.Title) ? ImportText.Title(document.Title) : null;

        var text = new StringBuilder();
        if (root is not null) Write(root, text);
        var links = new List<Uri>();
        if (baseUri is not null)
        {
            var linkBase = document.QuerySelector("base[href]")?.GetAttribute("href") is { } b && Uri.TryCreate(baseUri, b, out var declared) ? declared : baseUri;
            foreach (var a in document.QuerySelectorAll("a[href]").OfType<IHtmlAnchorElement>())
            {
                var rel = a.GetAttribute("rel") ?? "";
                if (rel.Contains("nofollow", StringComparison.OrdinalIgnoreCase)) continue;
                if (Uri.TryCreate(linkBase, a.GetAttribute("href"), out var link)) links.Add(link);
            }
        }
        return new HtmlPage(title, Tidy(text.ToString()), links, robots.Contains("noindex", StringComparison.Ordinal), robots.Contains("nofollow", StringComparison.Ordinal));
    }

    private static void Write(INode node, StringBuilder text)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IText t)
            {
                AppendInline(text, t.Data);
                continue;
            }
            if (child is not IElement e || Skipped.Contains(e.LocalName) || e.HasAttribute("hidden")) continue;
            switch (e.LocalName)
            {
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    text.Append("\n\n").Append('#', e.LocalName[1] - '0').Append(' ').Append(Inline(e)).Append("\n\n");
                    break;
                case "br":
                    text.Append('\n');
                    break;
                case "li":
                    var list = e.ParentElement;
                    var ordered = string.Equals(list?.LocalName, "ol", StringComparison.Ordinal);
                    var number = list is null ? 1 : list.Children.Where(c => c.LocalName == "li").TakeWhile(c => c != e).Count() + 1;
                    NewLine(text);
                    text.Append(ordered ? $"{number}. " : "- ");
                    Write(e, text);
                    NewLine(text);
                    break;
                case "pre":
                    text.Append("\n\n```\n").Append(e.TextContent.Trim('\n')).Append("\n```\n\n");
                    break;
                case "tr":
                    var cells = e.Children.Where(c => c.LocalName is "td" or "th").Select(Inline);
                    NewLine(text);
                    text.Append("| ").Append(string.Join(" | ", cells)).Append(" |\n");
                    break;
                case "img":
                    break;
                default:
                    var block = Blocks.Contains(e.LocalName) || e.LocalName is "ul" or "ol" or "table";
                    if (block) text.Append("\n\n");
                    Write(e, text);
                    if (block) text.Append("\n\n");
                    break;
            }
        }
    }

    // Consecutive list items and table rows stay on consecutive lines.
    private static void NewLine(StringBuilder text)
    {
        while (text.Length > 0 && text[^1] == ' ') text.Length--;
        if (text.Length > 0 && text[^1] != '\n') text.Append('\n');
    }

    private static string Inline(IElement e)
    {
        var text = new StringBuilder();
        Write(e, text);
        return string.Join(' ', text.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    private static void AppendInline(StringBuilder text, string data)
    {
        // HTML collapses runs of white space into one space.
        var lastWasSpace = text.Length == 0 || char.IsWhiteSpace(text[^1]);
        foreach (var c in data)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!lastWasSpace) text.Append(' ');
                lastWasSpace = true;
            }
            else
            {
                text.Append(c);
                lastWasSpace = false;
            }
        }
    }

    /// <summary>Lines trimmed (except inside code fences), no runs of blank lines.</summary>
    private static string Tidy(string text)
    {
        var lines = new List<string>();
        var fenced = false;
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            if (raw.StartsWith("```", StringComparison.Ordinal)) fenced = !fenced;
            lines.Add(fenced ? raw : raw.Trim());
        }
        return ImportText.Normalize(string.Join('\n', lines));
    }
}
