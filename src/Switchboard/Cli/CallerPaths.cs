namespace Switchboard.Cli;

/// <summary>
/// Paths typed on the command line, resolved where the user typed them. <c>dotnet run --project src/Switchboard</c>
/// runs the program in the project's folder, but the shell that started it still names its own folder in
/// <c>PWD</c>, and that is the folder a relative path like <c>../shared/data/a.jsonl</c> was written against.
/// </summary>
public static class CallerPaths
{
    public static string? ShellDirectory =>
        Environment.GetEnvironmentVariable("PWD") is { Length: > 0 } pwd && Path.IsPathRooted(pwd) && Directory.Exists(pwd) ? pwd : null;

    /// <summary>A file to read: as given when it exists there (or is absolute), else relative to the shell's folder.</summary>
    public static FileInfo Input(string path, string? shellDirectory)
    {
        if (Path.IsPathRooted(path) || File.Exists(path) || shellDirectory is null) return new FileInfo(path);
        var fromShell = Path.Combine(shellDirectory, path);
        return new FileInfo(File.Exists(fromShell) ? fromShell : path);
    }

    /// <summary>A file to write: relative to the shell's folder when there is one, as the user expects.</summary>
    public static FileInfo Output(string path, string? shellDirectory) =>
        Path.IsPathRooted(path) || shellDirectory is null ? new FileInfo(path) : new FileInfo(Path.Combine(shellDirectory, path));
}
