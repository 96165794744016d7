using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Features.Ai.OpenAi;

/// <summary>
/// Maps the model's <c>[n]</c> markers back to retrieved articles. A model can cite a passage that was never
/// sent (a hallucinated number, an id copied from a passage's text); those markers are removed from the answer
/// and never become sources.
/// </summary>
public static partial class Citations
{
    public sealed record Result(string Text, IReadOnlyList<Guid> ArticleIds);

    // [1], [1, 2], [ 3 ] and, should a model echo one, an article id: [3f2504e0-4f89-11d3-9a0c-0305e82c3301].
    // The blanks before a marker go with it, so "your card [9]." loses " [9]" and keeps its full stop in place.
    [GeneratedRegex(@"(?<lead>[ \t]*)\[\s*(?<refs>(?:\d{1,4}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:\s*,\s*(?:\d{1,4}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))*)\s*\]")]
    private static partial Regex Marker();

    /// <summary>
    /// The cited articles in order of first citation, and the text with markers naming nothing retrieved removed.
    /// When nothing valid is cited the top passage's article is the source, as it is what the answer was grounded on.
    /// </summary>
    public static Result Resolve(string text, IReadOnlyList<Passage> passages)
    {
        var cited = new List<Guid>();
        var cleaned = Marker().Replace(text, match =>
        {
            var references = match.Groups["refs"].Value.Split(',', StringSplitOptions.TrimEntries);
            var kept = new List<string>();
            foreach (var reference in references)
            {
                var article = Find(reference, passages);
                if (article is { } id)
                {
                    kept.Add(reference);
                    if (!cited.Contains(id))
                    {
                        cited.Add(id);
                    }
                }
            }
            return kept.Count == references.Length ? match.Value
                : kept.Count == 0 ? ""
                : match.Groups["lead"].Value + "[" + string.Join(", ", kept) + "]";
        });
        if (cited.Count == 0 && passages.Count > 0)
        {
            cited.Add(passages.MaxBy(p => p.Score)!.ArticleId);
        }
        return new Result(cleaned, cited);
    }

    private static Guid? Find(string reference, IReadOnlyList<Passage> passages)
    {
        if (int.TryParse(reference, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number >= 1 && number <= passages.Count ? passages[number - 1].ArticleId : null;
        }
        return Guid.TryParse(reference, out var id) && passages.Any(p => p.ArticleId == id) ? id : null;
    }
}
