using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Switchboard.Features.Ai.OpenAi;

/// <summary>
/// OpenAI-compatible embedding generators on the configured <c>Ai:Embeddings:Endpoint</c>, one per model, all
/// sending through the embeddings HttpClient and its resilience handler. The configured model's generator is the
/// default <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>; another model's is what <see cref="EmbeddingModels"/>
/// asks for while a model change is in progress (the previous model still embeds questions).
/// </summary>
public sealed class OpenAiEmbeddingModels(IHttpClientFactory http, IOptions<OpenAiEmbeddingsOptions> options) : IRemoteEmbeddingModels
{
    public const string HttpClientName = "Switchboard.Ai.Embeddings";

    public IEmbeddingGenerator<string, Embedding<float>> Generator(string model, int? dimensions)
    {
        var settings = options.Value;
        return OpenAiClients.Create(http.CreateClient(HttpClientName), settings.Endpoint!, settings.ApiKey, TimeSpan.FromSeconds(settings.TimeoutSeconds))
            .GetEmbeddingClient(model)
            .AsIEmbeddingGenerator(dimensions);
    }

    /// <summary>
    /// Another model than the configured one, with the model's own vector size (<c>Ai:Embeddings:Dimensions</c>
    /// belongs to the configured model); null without an endpoint.
    /// </summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Create(string model) =>
        Uri.TryCreate(options.Value.Endpoint, UriKind.Absolute, out _) ? Generator(model, null) : null;
}
