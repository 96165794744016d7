using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;

namespace Switchboard.Features.Ai;

public static class AiServiceCollectionExtensions
{
    /// <summary>
    /// The conversation pipeline with its local defaults: MiniLM embeddings and the extractive
    /// answerer, knowledge indexing in the background, and the in-memory vector index. Embedding
    /// generators and answerers registered before this call win (TryAdd); the extractive answerer is
    /// always there under the key <c>"extractive"</c>, as the fallback of an LLM answerer.
    /// </summary>
    public static IServiceCollection AddSwitchboardAi(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration; // Ai:* provider switches belong to the optional OpenAI providers.
        services.AddOptions<RetrievalOptions>().BindConfiguration(RetrievalOptions.Section);
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>, LocalEmbeddingGenerator>();
        services.TryAddSingleton<ExtractiveAnswerer>();
        services.TryAddKeyedSingleton<IAnswerer>(ExtractiveAnswerer.ModelName, (sp, _) => sp.GetRequiredService<ExtractiveAnswerer>());
        services.TryAddSingleton<IAnswerer>(sp => sp.GetRequiredService<ExtractiveAnswerer>());

        services.TryAddSingleton<EmbeddingModels>();
        services.TryAddSingleton<VectorIndex>();
        services.AddOptions<ReembeddingOptions>().BindConfiguration(ReembeddingOptions.Section);
        services.TryAddSingleton<ReembeddingStatus>();
        services.TryAddSingleton<FullTextSearch>();
        services.TryAddSingleton<ArticleScoreCache>();
        services.TryAddSingleton<ArticleOutcomes>();
        services.TryAddSingleton<HybridRetriever>();
        services.TryAddSingleton<KnowledgeIndexQueue>();
        services.TryAddSingleton<KnowledgeIndexer>();
        services.AddHostedService<KnowledgeIndexingService>();

        services.TryAddSingleton<IEventBus, InProcessEventBus>();
        services.TryAddSingleton<ConversationPipeline>();
        services.TryAddSingleton<ConversationService>();
        return services;
    }
}
