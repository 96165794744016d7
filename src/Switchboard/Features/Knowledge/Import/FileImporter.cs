namespace Switchboard.Features.Knowledge.Import;

/// <summary>Reads files into articles by their extension, all or nothing: one bad file refuses the lot.</summary>
public static class FileImporter
{
    /// <summary>Largest file accepted (an upload or a file of a folder).</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>Most files in one import.</summary>
    public const int MaxFiles = 1000;

    public static readonly string[] Extensions = [".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".csv", ".jsonl"];

    /// <summary>The files of a folder and its sub-folders that an import reads (Markdown and text), by relative name.</summary>
    public static readonly string[] FolderExtensions = [".md", ".markdown", ".txt"];

    /// <summary>Every file's articles; the category of a file is its folder (relative to the import root) or "general".</summary>
    public static List<ImportedArticle> Read(IReadOnlyList<ImportFile> files)
    {
        if (files.Count == 0) throw new ImportException("files", "No files to import: send one or more .md, .markdown, .txt, .html, .htm, .pdf, .csv or .jsonl files.");
        if (files.Count > MaxFiles) throw new ImportException("files", $"{files.Count} files; at most {MaxFiles} in one import.");
        foreach (var file in files)
        {
            Check(file.Name, file.Content.Length);
        }
        var articles = new List<ImportedArticle>();
        foreach (var file in files)
        {
            articles.AddRange(ReadOne(file));
        }
        var duplicate = articles.GroupBy(a => a.SourceUri).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ImportException("files", $"Two articles of this import have the same identity {duplicate.Key} (the same id in two files?). Give them different ids.");
        }
        return articles;
    }

    /// <summary>Refuses a file by its name and size before it is read.</summary>
    public static void Check(string name, long length)
    {
        if (!Extensions.Contains(Path.GetExtension(name).ToLowerInvariant()))
        {
            throw new ImportException("files", $"{name}: unsupported file type \"{Path.GetExtension(name)}\". Import .md, .markdown, .txt, .html, .htm, .pdf, .csv or .jsonl files.");
        }
        if (length > MaxFileBytes)
        {
            throw new ImportException("files", $"{name} is {length / (1024.0 * 1024):0.0} MB; the limit is {MaxFileBytes / (1024 * 1024)} MB per file. Split it into several files.");
        }
        if (length == 0) throw new ImportException("files", $"{name} is empty.");
    }

    private static List<ImportedArticle> ReadOne(ImportFile file)
    {
        var name = file.Name.Replace('\\', '/');
        var folder = Path.GetDirectoryName(name)?.Replace('\\', '/');
        var category = string.IsNullOrEmpty(folder) ? "general" : Path.GetFileName(folder);
        if (category.Length > 100) category = category[..100];
        var articles = Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".md" or ".markdown" or ".txt" => MarkdownImporter.Read(name, MarkdownImporter.Decode(file.Content), category),
            ".html" or ".htm" => HtmlImporter.Read(name, MarkdownImporter.Decode(file.Content), category),
            ".pdf" => PdfImporter.Read(name, file.Content, category),
            ".csv" => TableImporter.ReadCsv(name, file.Content),
            _ => TableImporter.ReadJsonLines(name, MarkdownImporter.Decode(file.Content)),
        };
        if (articles.Count == 0) throw new ImportException("files", $"{name}: there is no text to import in it.");
        return articles;
    }

    /// <summary>A file, or every Markdown/text file under a folder, named relative to what the user gave.</summary>
    public static List<ImportFile> FromPath(string path)
    {
        if (File.Exists(path))
        {
            var info = new FileInfo(path);
            Check(info.Name, info.Length);
            return [new ImportFile(info.Name, File.ReadAllBytes(path))];
        }
        if (!Directory.Exists(path)) throw new ImportException("source", $"{path}: no such file or folder.");
        var files = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = System.IO.FileAttributes.Hidden })
            .Where(f => FolderExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .Take(MaxFiles + 1)
            .ToList();
        if (files.Count == 0) throw new ImportException("source", $"{path}: no .md, .markdown or .txt files in this folder or below.");
        var result = new List<ImportFile>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(path, file).Replace('\\', '/');
            Check(relative, new FileInfo(file).Length);
            result.Add(new ImportFile(relative, File.ReadAllBytes(file)));
        }
        return result;
    }
}
