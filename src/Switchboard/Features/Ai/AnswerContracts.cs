namespace Switchboard.Features.Ai;

/// <summary>A retrieved piece of knowledge: the best-matching passage of one article.</summary>
public sealed record Passage(Guid ArticleId, string Title, string Text, double Score);

/// <summary>What an answerer is asked: the customer's question, the retrieved passages, and the recent turns.</summary>
public sealed record AnswerRequest(string Question, IReadOnlyList<Passage> Passages, IReadOnlyList<ConversationTurn> History);

public sealed record ConversationTurn(string Role, string Text);

/// <summary>One streamed piece of an answer: a text delta while it is produced, then the completion.</summary>
public sealed record AnswerUpdate(string? TextDelta, AnswerCompletion? Completion);

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
