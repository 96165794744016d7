using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Features.Knowledge.Import;

/// <summary>An article as an importer read it, before it is written. <see cref="SourceUri"/> is its identity.</summary>
public sealed record ImportedArticle(string SourceUri, string Title, string Content, string Category, IReadOnlyList<string> Tags)
{
    /// <summary>SHA-256 of what the article would be stored as: equal hash, nothing to write.</summary>
    public string Hash()
    {
        var text = string.Join('\u001f', Title, Content, Category, string.Join('\u001e', Tags));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>
/// A source that cannot be imported. <see cref="Field"/> is the request field at fault (files, url) and the
/// message names the file, line or page, so the user knows what to fix.
/// </summary>
public sealed class ImportException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>A file's name (as the user knows it, relative to the import root) and its bytes.</summary>
public sealed record ImportFile(string Name, byte[] Content);

/// <summary>Text helpers every importer shares: titles from text, normalized articles.</summary>
internal static class ImportText
{
    public static string Title(string text)
    {
        var title = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return title.Length <= KnowledgeApi.MaxTitleLength ? title : title[..(KnowledgeApi.MaxTitleLength - 1)].TrimEnd() + "…";
    }

    /// <summary>"getting-started_guide.md" → "Getting started guide".</summary>
    public static string TitleFromFileName(string name)
    {
        var stem = Path.GetFileNameWithoutExtension(name).Replace('-', ' ').Replace('_', ' ').Trim();
        return stem.Length == 0 ? name : Title(char.ToUpperInvariant(stem[0]) + stem[1..]);
    }

    /// <summary>Unix line ends, no trailing spaces, at most one blank line in a row, trimmed.</summary>
    public static string Normalize(string text)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n').Select(l => l.TrimEnd());
        var result = new StringBuilder();
        var blank = 0;
        foreach (var line in lines)
        {
            blank = line.Length == 0 ? blank + 1 : 0;
            if (blank <= 1) result.Append(line).Append('\n');
        }
        return result.ToString().Trim();
    }

    public static List<string> Tags(IEnumerable<string> tags) =>
        [.. tags.Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct()];

    public static string Slug(string text)
    {
        var slug = new StringBuilder();
        foreach (var c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c)) slug.Append(c);
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
        }
        return slug.ToString().Trim('-') is { Length: > 0 } s ? s : "section";
    }
}
