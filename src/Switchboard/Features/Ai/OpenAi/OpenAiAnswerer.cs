using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Switchboard.Features.Ai.OpenAi;

/// <summary>
/// Answers with an OpenAI-compatible chat model, grounded on the retrieved passages and streamed token by token.
/// Whatever goes wrong with the model, the customer still gets an answer: the extractive one, marked with why.
/// </summary>
public sealed class OpenAiAnswerer(
    IHttpClientFactory httpClients,
    IOptions<ChatModelOptions> options,
    [FromKeyedServices(OpenAiAnswerer.FallbackKey)] IAnswerer fallback,
    ILogger<OpenAiAnswerer> logger) : IAnswerer
{
    /// <summary>The service key under which the extractive answerer is registered.</summary>
    public const string FallbackKey = "extractive";

    /// <summary>The named HttpClient that carries the resilience handler.</summary>
    public const string HttpClientName = "Switchboard.Ai.Chat";

    public string Model => options.Value.Model ?? "";

    public async IAsyncEnumerable<AnswerUpdate> AnswerAsync(AnswerRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var settings = options.Value;
        // The resilience handler's timeouts stop at the response headers; this one also covers a body that stalls.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Timeout);

        var chat = CreateChatClient(settings);
        var messages = GroundedPrompt.Build(request);
        var chatOptions = new Microsoft.Extensions.AI.ChatOptions { Temperature = 0, MaxOutputTokens = settings.MaxOutputTokens };
        var text = new StringBuilder();
        UsageDetails? usage = null;
        string? failure = null;
        Exception? error = null;

        if (settings.Stream)
        {
            var stream = chat.GetStreamingResponseAsync(messages, chatOptions, deadline.Token).GetAsyncEnumerator(deadline.Token);
            try
            {
                while (true)
                {
                    ChatResponseUpdate update;
                    // A try with a catch cannot hold a yield, so only the step that can fail sits in it.
                    try
                    {
                        if (!await stream.MoveNextAsync())
                        {
                            break;
                        }
                        update = stream.Current;
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        (failure, error) = (ModelFailure.Describe(e), e);
                        break;
                    }
                    foreach (var content in update.Contents.OfType<UsageContent>())
                    {
                        usage = content.Details;
                    }
                    if (update.Text is { Length: > 0 } delta)
                    {
                        text.Append(delta);
                        yield return new AnswerUpdate(delta, null);
                    }
                }
            }
            finally
            {
                await DisposeQuietlyAsync(stream);
            }
        }
        else
        {
            try
            {
                var response = await chat.GetResponseAsync(messages, chatOptions, deadline.Token);
                text.Append(response.Text);
                usage = response.Usage;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                (failure, error) = (ModelFailure.Describe(e), e);
            }
            if (failure is null && text.Length > 0)
            {
                yield return new AnswerUpdate(text.ToString(), null);
            }
        }

        if (failure is null && string.IsNullOrWhiteSpace(text.ToString()))
        {
            failure = ModelFailure.Empty;
        }
        if (failure is null)
        {
            var cited = Citations.Resolve(text.ToString(), request.Passages);
            yield return new AnswerUpdate(null, new AnswerCompletion(
                cited.Text, cited.ArticleIds, Model, ToInt(usage?.InputTokenCount), ToInt(usage?.OutputTokenCount), FallbackReason: null));
            yield break;
        }

        logger.LogWarning(error, "Chat model {Model} failed ({Reason}); answering with the extractive answerer", Model, failure);
        if (text.Length > 0)
        {
            yield return AnswerUpdate.Reset;
        }
        await foreach (var update in fallback.AnswerAsync(request, cancellationToken))
        {
            yield return update.Completion is { } completion
                ? update with { Completion = completion with { FallbackReason = failure } }
                : update;
        }
    }

    // A client per answer: HttpClients from the factory are meant to be short-lived (their handlers rotate), and
    // the resilience pipeline, circuit state included, lives in the factory's registry, not in the client.
    private IChatClient CreateChatClient(ChatModelOptions settings) =>
        OpenAiClients.Create(httpClients.CreateClient(HttpClientName), settings.Endpoint!, settings.ApiKey, settings.Timeout)
            .GetChatClient(settings.Model)
            .AsIChatClient();

    private static int? ToInt(long? tokens) => tokens is { } n ? (int)Math.Min(n, int.MaxValue) : null;

    private async Task DisposeQuietlyAsync(IAsyncEnumerator<ChatResponseUpdate> stream)
    {
        try
        {
            await stream.DisposeAsync();
        }
        catch (Exception e)
        {
            // The answer (or the fallback) is already decided; a failing connection teardown must not undo it.
            logger.LogDebug(e, "Closing the chat model's stream failed");
        }
    }
}
