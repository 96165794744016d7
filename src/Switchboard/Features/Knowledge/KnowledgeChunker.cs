using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Features.Knowledge;

/// <summary>One passage of an article: its heading path (null outside any section) and the text that is embedded, searched and quoted.</summary>
/// <param name="Text">The heading path on its own line, then the passage; the passage alone when <paramref name="Heading"/> is null.</param>
public sealed record KnowledgePassage(string? Heading, string Text);

/// <summary>
/// Splits an article into the passages that are embedded, searched and quoted.
/// <list type="bullet">
/// <item>A passage is a paragraph: a non-empty line, as in a list of example questions. In an article written in
/// paragraphs (it has a blank line), a line cut in mid-sentence continues on the next one (soft wrap).</item>
/// <item>Markdown headings (<c>#</c> to <c>######</c>, and setext <c>===</c>/<c>---</c> underlines) open sections;
/// every passage under one carries its heading path, "Returns › Refund timing", in front of its text. A heading
/// equal to the article's title is left out of the path: prefixing the title lowered banking77 accuracy (docs/eval.md).</item>
/// <item>List items and fenced code blocks stay with the paragraph that introduces them while they fit.</item>
/// <item>A paragraph longer than <see cref="MaxLength"/> is cut at sentences (a giant sentence between words), and
/// each next passage starts with the end of the previous one, so an answer that straddles a cut is found.</item>
/// </list>
/// </summary>
public static partial class KnowledgeChunker
{
    /// <summary>About 100-125 word pieces: well inside what MiniLM was trained on (128), and a readable answer.</summary>
    public const int MaxLength = 500;

    /// <summary>The longest heading path kept in front of a passage; outer headings go first when it is longer.</summary>
    public const int MaxHeadingLength = 120;

    /// <summary>The longest carried-over sentence; longer ones carry over only their last words, up to <see cref="MaxWordOverlap"/>.</summary>
    public const int MaxSentenceOverlap = 150;

    /// <summary>About 15 % of a passage.</summary>
    public const int MaxWordOverlap = 75;

    public const string HeadingSeparator = " › ";

    /// <param name="title">The article's title, left out of heading paths.</param>
    public static List<KnowledgePassage> Split(string content, string? title = null)
    {
        var lines = content.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).ToList();
        var paragraphs = lines.Contains("");
        var passages = new List<KnowledgePassage>();
        var headings = new List<(int Level, string Text)>();
        string? heading = null;
        // The passage that list items and code may still join: only the last one of the current section.
        var open = false;
        string? lastHeading = null;

        void Add(string body, bool joinable)
        {
            var budget = MaxLength - (heading is null ? 0 : heading.Length + 1);
            foreach (var piece in body.Length <= budget ? [body] : SplitLong(body, budget))
            {
                passages.Add(new KnowledgePassage(heading, heading is null ? piece : heading + "\n" + piece));
            }
            open = joinable;
        }

        bool TryJoin(string line)
        {
            if (!open || passages.Count == 0) return false;
            var last = passages[^1];
            if (last.Text.Length + 1 + line.Length > MaxLength) return false;
            passages[^1] = last with { Text = last.Text + "\n" + line };
            return true;
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || ThematicBreak().IsMatch(line))
            {
                continue;
            }
            if (line.StartsWith("```", StringComparison.Ordinal) || line.StartsWith("~~~", StringComparison.Ordinal))
            {
                // A code block is one unit: its lines are never headings, and it stays with what introduces it.
                var fence = line[..3];
                var end = i + 1;
                while (end < lines.Count && !lines[end].StartsWith(fence, StringComparison.Ordinal)) end++;
                var block = string.Join("\n", lines.Skip(i).Take(Math.Min(end, lines.Count - 1) - i + 1));
                i = end;
                if (!TryJoin(block)) Add(block, joinable: false);
                open = false;
                continue;
            }
            var (level, text) = AtxHeading(line);
            if (level == 0 && i + 1 < lines.Count && !IsListItem(line) && !line.StartsWith('|') && SetextUnderline(lines[i + 1]) is var setext and > 0)
            {
                (level, text) = (setext, line);
                i++;
            }
            if (level > 0)
            {
                headings.RemoveAll(h => h.Level >= level);
                if (text.Length > 0)
                {
                    headings.Add((level, text));
                    lastHeading = text;
                }
                heading = Path(headings, title);
                open = false;
                continue;
            }
            // A soft-wrapped line: the sentence goes on. Never in line-per-passage articles (no blank line).
            while (paragraphs && i + 1 < lines.Count && ContinuesOnNextLine(line, lines[i + 1]))
            {
                line += " " + lines[++i];
            }
            // A list item belongs with the sentence that introduces it, while they fit together.
            if (IsListItem(line) && TryJoin(line))
            {
                continue;
            }
            Add(line, joinable: true);
        }
        // An article of headings only still needs a passage to be found by.
        if (passages.Count == 0 && lastHeading is not null)
        {
            passages.Add(new KnowledgePassage(heading, heading ?? lastHeading));
        }
        return passages;
    }

    /// <summary>The hash that decides whether a passage must be embedded again: same model, same text (heading path included), same vector.</summary>
    public static string Hash(string model, string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(model + "\n" + text)));

    private static string? Path(List<(int Level, string Text)> headings, string? title)
    {
        var parts = headings.Select(h => h.Text)
            .Where(h => title is null || !string.Equals(h, title.Trim(), StringComparison.OrdinalIgnoreCase))
            .ToList();
        while (parts.Count > 1 && string.Join(HeadingSeparator, parts).Length > MaxHeadingLength)
        {
            parts.RemoveAt(0);
        }
        if (parts.Count == 0) return null;
        var path = string.Join(HeadingSeparator, parts);
        return path.Length <= MaxHeadingLength ? path : SplitWords(path, MaxHeadingLength).First();
    }

    private static (int Level, string Text) AtxHeading(string line)
    {
        var level = 0;
        while (level < line.Length && line[level] == '#') level++;
        if (level is 0 or > 6 || level < line.Length && line[level] != ' ' && line[level] != '\t')
        {
            return (0, "");
        }
        return (level, line[level..].Trim().TrimEnd('#').Trim());
    }

    private static int SetextUnderline(string line) =>
        line.Length >= 2 && line.All(c => c == '=') ? 1 : line.Length >= 2 && line.All(c => c == '-') ? 2 : 0;

    private static bool ContinuesOnNextLine(string line, string next) =>
        next.Length > 0 && !IsListItem(next) && !line.StartsWith('|') && !next.StartsWith('|')
        && AtxHeading(next).Level == 0 && !next.StartsWith("```", StringComparison.Ordinal) && !next.StartsWith("~~~", StringComparison.Ordinal)
        && SetextUnderline(next) == 0
        && !SentenceEnd().IsMatch(line) && (char.IsLower(next[0]) || char.IsDigit(next[0]) || next[0] == '(');

    private static bool IsListItem(string line) =>
        line.Length > 2 && (line[0] is '-' or '*' or '+' or '•' && line[1] == ' ' || ListNumber().IsMatch(line));

    /// <summary>
    /// Cuts a long paragraph into passages of at most <paramref name="budget"/> characters at sentence boundaries;
    /// each passage after the first starts with the last sentence of the one before (or its last words), so an
    /// answer that straddles a cut is whole in one of them. Every passage adds at least one new piece, so it ends.
    /// </summary>
    private static List<string> SplitLong(string paragraph, int budget)
    {
        // Pieces of a giant sentence leave room for the words carried over in front of them.
        var pieces = Sentences().Split(paragraph).SelectMany(s => SplitWords(s, budget - MaxWordOverlap - 1)).ToList();
        var passages = new List<string>();
        var current = new List<string>();
        var length = 0;
        foreach (var piece in pieces)
        {
            if (current.Count > 0 && length + 1 + piece.Length > budget)
            {
                passages.Add(string.Join(' ', current));
                var overlap = Overlap(current[^1]);
                current.Clear();
                length = 0;
                if (overlap is { Length: > 0 } && overlap.Length + 1 + piece.Length <= budget)
                {
                    current.Add(overlap);
                    length = overlap.Length;
                }
            }
            length += (current.Count > 0 ? 1 : 0) + piece.Length;
            current.Add(piece);
        }
        if (current.Count > 0) passages.Add(string.Join(' ', current));
        return passages;
    }

    /// <summary>What the next passage repeats of the previous one's last piece: all of it if short, else its last words.</summary>
    private static string? Overlap(string last)
    {
        if (last.Length <= MaxSentenceOverlap)
        {
            return last;
        }
        var start = last.IndexOf(' ', last.Length - MaxWordOverlap);
        return start < 0 ? null : last[(start + 1)..];
    }

    // A sentence longer than a passage (a run-on list, a URL dump) is cut between words.
    private static IEnumerable<string> SplitWords(string sentence, int max)
    {
        while (sentence.Length > max)
        {
            var cut = sentence.LastIndexOf(' ', max);
            if (cut <= 0) cut = max;
            yield return sentence[..cut].TrimEnd();
            sentence = sentence[cut..].TrimStart();
        }
        if (sentence.Length > 0) yield return sentence;
    }

    [GeneratedRegex(@"(?<=[.!?…])\s+(?=\S)")]
    private static partial Regex Sentences();

    [GeneratedRegex(@"^([-*_=]\s*){3,}$")]
    private static partial Regex ThematicBreak();

    [GeneratedRegex(@"[.!?…:;]$")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^\d{1,3}[.)] ")]
    private static partial Regex ListNumber();
}
