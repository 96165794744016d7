using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Switchboard.Features.Ai;

/// <summary>
/// The default answerer, no language model: it answers with the best article's most relevant
/// passage, word for word, and cites that article. It never writes a sentence of its own.
/// </summary>
public sealed partial class ExtractiveAnswerer : IAnswerer
{
    public const string ModelName = "extractive";

    /// <summary>Said when there is nothing to quote. The pipeline normally decides this before asking.</summary>
    public const string NothingToQuote = "I'm sorry, I couldn't find this in our help articles. Would you like me to connect you with a person?";

    private const int WordsPerDelta = 6;

    public string Model => ModelName;

    public async IAsyncEnumerable<AnswerUpdate> AnswerAsync(AnswerRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Passages arrive best first; the first is the best article's best passage.
        if (request.Passages.Count == 0)
        {
            yield return new AnswerUpdate(NothingToQuote, null);
            yield return new AnswerUpdate(null, new AnswerCompletion(NothingToQuote, [], ModelName, null, null, null));
            yield break;
        }
        var passage = request.Passages[0];
        // Streamed in groups of words, like a model would, so the widget shows one behaviour;
        // the groups keep their whitespace, so they add up to the passage exactly.
        foreach (var delta in WordGroups(passage.Text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new AnswerUpdate(delta, null);
            await Task.Yield();
        }
        yield return new AnswerUpdate(null, new AnswerCompletion(passage.Text, [passage.ArticleId], ModelName, null, null, null));
    }

    internal static IEnumerable<string> WordGroups(string text)
    {
        var words = Words().Matches(text);
        for (var i = 0; i < words.Count; i += WordsPerDelta)
        {
            var first = words[i];
            var last = words[Math.Min(i + WordsPerDelta, words.Count) - 1];
            yield return text[first.Index..(last.Index + last.Length)];
        }
    }

    // A word with the whitespace before it; the first word also takes any leading whitespace.
    [GeneratedRegex(@"\s*\S+")]
    private static partial Regex Words();
}
