using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;

namespace Switchboard.Features.Knowledge.Import;

/// <summary>
/// Rows of articles: CSV with a header row (title, content and optionally category, tags, id) and JSON lines in
/// the eval format (<c>{"id","title","content","category","tags":[]}</c>). A row with an id is <c>csv:id</c> /
/// <c>jsonl:id</c>, stable whatever the file is called; a CSV row without one is <c>csv:file#row-N</c>.
/// Any bad row refuses the whole file, naming the file, the line and the field.
/// </summary>
public static class TableImporter
{
    public static List<ImportedArticle> ReadCsv(string name, byte[] bytes)
    {
        var articles = new List<ImportedArticle>();
        try
        {
            using var csv = CsvReader.Create(bytes, new CsvReaderOptions { TrackLineNumbers = true, AllowLineBreaksInQuotes = true });
            var headers = csv.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
            int Column(string column) => headers.IndexOf(column);
            var (title, content, category, tags, id) = (Column("title"), Column("content"), Column("category"), Column("tags"), Column("id"));
            if (title < 0 || content < 0)
            {
                throw new ImportException("files", $"{name}: the header row must name the columns title and content (and may name category, tags, id); it has: {string.Join(", ", headers)}.");
            }
            while (csv.Read())
            {
                var line = (int)csv.LineNumber;
                string? Field(int column) => column >= 0 && column < csv.FieldCount ? csv.GetString(column) : null;
                var rowId = Field(id)?.Trim();
                var uri = string.IsNullOrEmpty(rowId) ? $"csv:{name}#row-{csv.RowNumber}" : $"csv:{rowId}";
                var rowTags = (Field(tags) ?? "").Split([';', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                articles.Add(Article(name, line, uri, Field(title), Field(content), Field(category), rowTags));
            }
        }
        catch (CsvFormatException e)
        {
            throw new ImportException("files", $"{name}: not valid CSV ({e.Message}).");
        }
        return Checked(name, articles);
    }

    public static List<ImportedArticle> ReadJsonLines(string name, string text)
    {
        var articles = new List<ImportedArticle>();
        var number = 0;
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject o;
            try
            {
                o = JsonNode.Parse(line) as JsonObject ?? throw Bad(name, number, "expected a JSON object");
            }
            catch (JsonException e)
            {
                throw Bad(name, number, $"not valid JSON ({e.Message})");
            }
            var id = String(name, number, o, "id");
            if (string.IsNullOrWhiteSpace(id)) throw Bad(name, number, "\"id\" is missing or empty; every article needs an id, its identity for re-imports");
            var tags = o["tags"] switch
            {
                null => [],
                JsonArray a when a.All(t => t?.GetValueKind() == JsonValueKind.String) => a.Select(t => t!.GetValue<string>()).ToArray(),
                _ => throw Bad(name, number, "\"tags\" must be an array of strings"),
            };
            articles.Add(Article(name, number, $"jsonl:{id.Trim()}", String(name, number, o, "title"), String(name, number, o, "content"), String(name, number, o, "category"), tags));
        }
        return Checked(name, articles);
    }

    private static ImportedArticle Article(string name, int line, string uri, string? title, string? content, string? category, string[] tags)
    {
        if (string.IsNullOrWhiteSpace(title)) throw Bad(name, line, "\"title\" is missing or empty");
        if (title.Trim().Length > KnowledgeApi.MaxTitleLength) throw Bad(name, line, $"\"title\" is longer than {KnowledgeApi.MaxTitleLength} characters");
        if (string.IsNullOrWhiteSpace(content)) throw Bad(name, line, "\"content\" is missing or empty");
        var text = ImportText.Normalize(content);
        if (text.Length > KnowledgeApi.MaxContentLength) throw Bad(name, line, $"\"content\" is {text.Length} characters; the limit is {KnowledgeApi.MaxContentLength}");
        if (category?.Trim() is { Length: > 100 }) throw Bad(name, line, "\"category\" is longer than 100 characters");
        var normalizedTags = ImportText.Tags(tags);
        if (normalizedTags.Count > KnowledgeApi.MaxTags) throw Bad(name, line, $"at most {KnowledgeApi.MaxTags} tags");
        if (normalizedTags.Any(t => t.Length > 50)) throw Bad(name, line, "tags must be 1-50 characters");
        return new ImportedArticle(uri, title.Trim(), text, string.IsNullOrWhiteSpace(category) ? "general" : category.Trim(), normalizedTags);
    }

    private static List<ImportedArticle> Checked(string name, List<ImportedArticle> articles)
    {
        if (articles.Count == 0) throw new ImportException("files", $"{name}: there are no articles in it.");
        var duplicate = articles.GroupBy(a => a.SourceUri).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ImportException("files", $"{name}: the id \"{duplicate.Key[(duplicate.Key.IndexOf(':') + 1)..]}\" is used by more than one row.");
        return articles;
    }

    private static string? String(string name, int line, JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && key == "id" => v.ToJsonString(),
        _ => throw Bad(name, line, $"\"{key}\" must be a string"),
    };

    private static ImportException Bad(string name, int line, string problem) => new("files", $"{name} line {line}: {problem}.");
}
