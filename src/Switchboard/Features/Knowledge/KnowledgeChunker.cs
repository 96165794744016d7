using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Features.Knowledge;

/// <summary>
/// Splits an article into the passages that are embedded, searched and quoted. A passage is a
/// paragraph (a non-empty line); a paragraph longer than <see cref="MaxLength"/> is cut at sentence
/// boundaries. Passages are embedded as they are, without the article's title: prefixing
/// "Title: " lowered answer accuracy on banking77 from 0.921 to 0.884 (docs/eval.md).
/// </summary>
public static partial class KnowledgeChunker
{
    /// <summary>About 100-125 word pieces: well inside what MiniLM was trained on (128), and a readable answer.</summary>
    public const int MaxLength = 500;

    public static List<string> Split(string content)
    {
        var chunks = new List<string>();
        string? heading = null;
        foreach (var raw in content.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            // A heading alone answers nothing; it gives the paragraph under it its context.
            if (line.StartsWith('#'))
            {
                heading = line.TrimStart('#').Trim();
                continue;
            }
            // A list item belongs with the sentence that introduces it, while they fit together.
            if (IsListItem(line) && chunks.Count > 0 && heading is null && chunks[^1].Length + 1 + line.Length <= MaxLength)
            {
                chunks[^1] += "\n" + line;
                continue;
            }
            if (heading is { Length: > 0 } && heading.Length + 1 + line.Length <= MaxLength)
            {
                line = heading + "\n" + line;
            }
            heading = null;
            chunks.AddRange(line.Length <= MaxLength ? [line] : SplitLong(line));
        }
        if (heading is { Length: > 0 })
        {
            chunks.Add(heading);
        }
        return chunks;
    }

    /// <summary>The hash that decides whether a passage must be embedded again: same model, same text, same vector.</summary>
    public static string Hash(string model, string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(model + "\n" + text)));

    private static bool IsListItem(string line) =>
        line.Length > 2 && (line[0] is '-' or '*' or '•' && line[1] == ' ' || ListNumber().IsMatch(line));

    private static IEnumerable<string> SplitLong(string paragraph)
    {
        var current = new StringBuilder();
        foreach (var sentence in Sentences().Split(paragraph).SelectMany(SplitWords))
        {
            if (current.Length > 0 && current.Length + 1 + sentence.Length > MaxLength)
            {
                yield return current.ToString();
                current.Clear();
            }
            if (current.Length > 0) current.Append(' ');
            current.Append(sentence);
        }
        if (current.Length > 0) yield return current.ToString();
    }

    // A sentence longer than a passage (a run-on list, a URL dump) is cut between words.
    private static IEnumerable<string> SplitWords(string sentence)
    {
        while (sentence.Length > MaxLength)
        {
            var cut = sentence.LastIndexOf(' ', MaxLength);
            if (cut <= 0) cut = MaxLength;
            yield return sentence[..cut].TrimEnd();
            sentence = sentence[cut..].TrimStart();
        }
        if (sentence.Length > 0) yield return sentence;
    }

    [GeneratedRegex(@"(?<=[.!?…])\s+(?=\S)")]
    private static partial Regex Sentences();

    [GeneratedRegex(@"^\d{1,3}[.)] ")]
    private static partial Regex ListNumber();
}
