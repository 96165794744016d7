using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Switchboard.Features.Ai;

public static class AiDecisions
{
    public const string Answer = "answer";
    public const string NoAnswer = "no_answer";
}

public sealed record AiSource(Guid ArticleId, string Title, double Score);

public sealed record AiUsage(int? InputTokens, int? OutputTokens);

/// <summary>An article retrieval ranked for the question, cited or not (eval reads recall@5 and MRR from these).</summary>
public sealed record AiRetrieved(Guid ArticleId, double Score);

/// <summary>
/// The ai_metadata of an AI message, as docs/widget-protocol.md describes it. <see cref="Sources"/>
/// are the articles the answer cites; <see cref="Retrieved"/> the top articles retrieval ranked;
/// <see cref="ReplyTo"/> the seq of the customer message this answers.
/// </summary>
public sealed record AiMetadata(
    List<AiSource> Sources,
    double Confidence,
    string Decision,
    string Model,
    long LatencyMs,
    AiUsage? Usage,
    string? Fallback,
    long? ReplyTo,
    List<AiRetrieved> Retrieved)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The embedding model the question was compared with (during a model change: the one retrieval serves).</summary>
    public string? EmbeddingModel { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static AiMetadata? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json) || json == "{}") return null;
        try
        {
            return JsonSerializer.Deserialize<AiMetadata>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

public sealed record PipelineResult(string Text, AiMetadata Metadata);

/// <summary>A question's retrieval, timed from the start of the pipeline. <see cref="Confidence"/> is what ai_metadata.confidence will say.</summary>
public sealed record PipelineRetrieval(QueryEmbedding Query, Retrieval Retrieval, Stopwatch Clock)
{
    public double Confidence => Math.Round(Retrieval.Confidence, 4);
}

/// <summary>
/// The conversation pipeline, the same for the widget and for <c>eval</c>: embed the question,
/// retrieve from the organization's and the global knowledge (<see cref="HybridRetriever"/>), decide whether the knowledge can
/// answer it, and answer (streamed) or say honestly that it cannot.
/// </summary>
public sealed class ConversationPipeline(
    HybridRetriever retriever,
    IAnswerer answerer,
    ILogger<ConversationPipeline> logger)
{
    public const int TopArticles = 5;

    public const string NoAnswerText =
        "I'm sorry, I don't know the answer to that, and I'd rather not guess. Would you like me to connect you with a person from our team?";

    /// <param name="onDelta">Receives the answer's text as it is produced; an empty string with
    /// <c>reset</c> true voids what was received so far (the model failed mid-answer and the fallback follows).</param>
    public async Task<PipelineResult> RunAsync(Guid organizationId, string question, IReadOnlyList<ConversationTurn> history,
        Func<string, bool, ValueTask>? onDelta, CancellationToken ct) =>
        await AnswerAsync(await RetrieveAsync(organizationId, question, ct), question, history, onDelta, ct);

    /// <summary>
    /// The first half of <see cref="RunAsync"/>: what the knowledge says about the question, and how confident
    /// retrieval is, before any answer is written (the escalation rules read the confidence here).
    /// </summary>
    public async Task<PipelineRetrieval> RetrieveAsync(Guid organizationId, string question, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        // Embedded with the model retrieval serves for this organization (the previous one while a model change
        // is re-embedding), and compared with exactly that model's vectors.
        var (query, retrieval) = await retriever.RetrieveAsync(organizationId, question, TopArticles, null, ct);
        return new PipelineRetrieval(query, retrieval, clock);
    }

    /// <summary>The second half of <see cref="RunAsync"/>: answer (streamed) from a retrieval, or say honestly that the knowledge cannot.</summary>
    public async Task<PipelineResult> AnswerAsync(PipelineRetrieval retrievalResult, string question, IReadOnlyList<ConversationTurn> history,
        Func<string, bool, ValueTask>? onDelta, CancellationToken ct)
    {
        var (query, retrieval, clock) = retrievalResult;
        var retrieved = retrieval.Articles.Select(a => new AiRetrieved(a.ArticleId, Round(a.Score))).ToList();
        var confidence = retrievalResult.Confidence;

        if (!retrieval.Answerable)
        {
            // The decision is the retrieval's, so the metadata names the model that made it.
            return new PipelineResult(NoAnswerText,
                new AiMetadata([], confidence, AiDecisions.NoAnswer, query.Model, clock.ElapsedMilliseconds, null, null, null, retrieved)
                {
                    EmbeddingModel = query.Model,
                });
        }

        var passages = retrieval.Articles.Select(a => new Passage(a.ArticleId, a.Title, a.Passage, a.Score)).ToList();
        AnswerCompletion? completion = null;
        await foreach (var update in answerer.AnswerAsync(new AnswerRequest(question, passages, history), ct))
        {
            if (onDelta is not null && update.ResetText)
            {
                await onDelta("", true);
            }
            else if (update.TextDelta is { Length: > 0 } delta && onDelta is not null)
            {
                await onDelta(delta, false);
            }
            completion ??= update.Completion;
        }
        if (completion is null)
        {
            throw new InvalidOperationException($"The answerer '{answerer.Model}' finished without a completion.");
        }

        // Only retrieved articles may be cited, whatever an answerer claims.
        var byId = retrieval.Articles.ToDictionary(a => a.ArticleId);
        var sources = completion.CitedArticleIds.Distinct().Where(byId.ContainsKey)
            .Select(id => new AiSource(id, byId[id].Title, Round(byId[id].Score))).ToList();
        if (sources.Count < completion.CitedArticleIds.Distinct().Count())
        {
            logger.LogWarning("Answerer {Model} cited articles that were not retrieved; dropped them", completion.Model);
        }
        var usage = completion.InputTokens is null && completion.OutputTokens is null ? null : new AiUsage(completion.InputTokens, completion.OutputTokens);
        return new PipelineResult(completion.Text,
            new AiMetadata(sources, confidence, AiDecisions.Answer, completion.Model, clock.ElapsedMilliseconds, usage, completion.FallbackReason, null, retrieved)
            {
                EmbeddingModel = query.Model,
            });
    }

    private static double Round(double value) => Math.Round(value, 4);
}
