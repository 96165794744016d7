namespace Switchboard.Features.Ai;

/// <summary>A retrieved piece of knowledge: the best-matching passage of one article.</summary>
public sealed record Passage(Guid ArticleId, string Title, string Text, double Score);

/// <summary>What an answerer is asked: the customer's question, the retrieved passages, and the recent turns.</summary>
public sealed record AnswerRequest(string Question, IReadOnlyList<Passage> Passages, IReadOnlyList<ConversationTurn> History);

public sealed record ConversationTurn(string Role, string Text);

/// <summary>One streamed piece of an answer: a text delta while it is produced, then the completion.</summary>
/// <remarks>
/// <paramref name="ResetText"/>: when true (with no delta and no completion), every delta received so far for
/// this answer is void and the consumer discards it; the deltas that follow start the answer again. An answerer
/// sends it when its model fails after streaming part of an answer and it switches to a fallback answer.
/// The completion's <see cref="AnswerCompletion.Text"/> is always the full, final text.
/// </remarks>
public sealed record AnswerUpdate(string? TextDelta, AnswerCompletion? Completion, bool ResetText = false)
{
    /// <summary>The update that voids the deltas sent so far (see <see cref="ResetText"/>).</summary>
    public static AnswerUpdate Reset { get; } = new(null, null, ResetText: true);
}

/// <summary>
/// The finished answer. <see cref="CitedArticleIds"/> only ever names retrieved articles.
/// <see cref="FallbackReason"/> is set when the configured model failed and the extractive answer was used.
/// </summary>
public sealed record AnswerCompletion(
    string Text,
    IReadOnlyList<Guid> CitedArticleIds,
    string Model,
    int? InputTokens,
    int? OutputTokens,
    string? FallbackReason);

/// <summary>Turns retrieved passages into the text the customer reads.</summary>
public interface IAnswerer
{
    /// <summary>Model name for ai_metadata, e.g. "extractive" or the chat model's id.</summary>
    string Model { get; }

    IAsyncEnumerable<AnswerUpdate> AnswerAsync(AnswerRequest request, CancellationToken cancellationToken);
}
