using Microsoft.Extensions.AI;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Switchboard.Features.Ai.OpenAi;

public static class ChatServiceCollectionExtensions
{
    /// <summary>
    /// The optional OpenAI-compatible providers. With <c>Ai:Chat:Provider=OpenAI</c> the default
    /// <see cref="IAnswerer"/> becomes <see cref="OpenAiAnswerer"/>, which falls back to the answerer keyed
    /// <c>"extractive"</c>; with <c>Ai:Embeddings:Provider=OpenAI</c> the default embedding generator is replaced.
    /// With the defaults (Extractive, Local) it registers nothing.
    /// </summary>
    /// <remarks>
    /// Call it after the AI defaults are registered: it removes the non-keyed defaults it replaces, and a default
    /// added after it would win again (the last registration of a service is the one resolved).
    /// </remarks>
    public static IServiceCollection AddSwitchboardChat(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetValue(ChatModelOptions.Section + ":Provider", ChatProvider.Extractive) == ChatProvider.OpenAI)
        {
            AddOpenAiChat(services, configuration);
        }
        var embeddingsProvider = configuration.GetValue(OpenAiEmbeddingsOptions.Section + ":Provider", EmbeddingsProvider.Local);
        if (embeddingsProvider == EmbeddingsProvider.OpenAI || !string.IsNullOrEmpty(configuration[OpenAiEmbeddingsOptions.Section + ":Endpoint"]))
        {
            // With an endpoint, models other than the configured one stay reachable: the previous model of a model change.
            AddOpenAiEmbeddings(services, configuration, replaceDefault: embeddingsProvider == EmbeddingsProvider.OpenAI);
        }
        return services;
    }

    private static void AddOpenAiChat(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChatModelOptions>().Bind(configuration.GetSection(ChatModelOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatModelOptions>, ChatModelOptionsValidator>();

        services.AddHttpClient(OpenAiAnswerer.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddStandardResilienceHandler()
            .Configure((resilience, sp) => ApplyChatResilience(resilience, sp.GetRequiredService<IOptions<ChatModelOptions>>().Value));

        ReplaceDefault(services, ServiceDescriptor.Transient<IAnswerer, OpenAiAnswerer>());
    }

    /// <summary>
    /// The standard pipeline (total timeout → retry → circuit breaker → attempt timeout) sized for a chat model:
    /// a customer is waiting, so few retries and a short back-off, and a circuit that trips on a handful of
    /// failures because support traffic is too thin for the library's default of 100 requests per window.
    /// </summary>
    internal static void ApplyChatResilience(HttpStandardResilienceOptions resilience, ChatModelOptions chat)
    {
        resilience.TotalRequestTimeout.Timeout = chat.Timeout;
        resilience.AttemptTimeout.Timeout = chat.AttemptTimeout;
        // Polly wants at least one retry attempt; "no retries" is a retry that handles nothing.
        resilience.Retry.MaxRetryAttempts = Math.Max(1, chat.MaxRetries);
        if (chat.MaxRetries == 0)
        {
            resilience.Retry.ShouldHandle = _ => PredicateResult.False();
        }
        resilience.Retry.Delay = TimeSpan.FromSeconds(chat.RetryDelaySeconds);
        resilience.CircuitBreaker.FailureRatio = 0.5;
        resilience.CircuitBreaker.MinimumThroughput = chat.CircuitBreakerMinimumThroughput;
        resilience.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(chat.CircuitBreakerBreakSeconds);
        // The library requires a window of at least two attempt timeouts.
        resilience.CircuitBreaker.SamplingDuration = Max(TimeSpan.FromSeconds(60), 2 * chat.AttemptTimeout);
    }

    private static void AddOpenAiEmbeddings(IServiceCollection services, IConfiguration configuration, bool replaceDefault)
    {
        services.AddOptions<OpenAiEmbeddingsOptions>().Bind(configuration.GetSection(OpenAiEmbeddingsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OpenAiEmbeddingsOptions>, OpenAiEmbeddingsOptionsValidator>();

        services.AddHttpClient(OpenAiEmbeddingModels.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            // The generator is a singleton that keeps its HttpClient, so connections are recycled by the
            // handler itself (DNS changes still reach it) instead of by the factory's handler rotation.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .AddStandardResilienceHandler()
            .Configure((resilience, sp) =>
            {
                var timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<OpenAiEmbeddingsOptions>>().Value.TimeoutSeconds);
                resilience.TotalRequestTimeout.Timeout = timeout;
                resilience.AttemptTimeout.Timeout = timeout / 2;
                resilience.CircuitBreaker.SamplingDuration = Max(TimeSpan.FromSeconds(30), timeout);
            });

        services.AddSingleton<OpenAiEmbeddingModels>();
        services.AddSingleton<IRemoteEmbeddingModels>(sp => sp.GetRequiredService<OpenAiEmbeddingModels>());
        if (replaceDefault)
        {
            ReplaceDefault(services, ServiceDescriptor.Singleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
            {
                var settings = sp.GetRequiredService<IOptions<OpenAiEmbeddingsOptions>>().Value;
                return sp.GetRequiredService<OpenAiEmbeddingModels>().Generator(settings.Model!, settings.Dimensions);
            }));
        }
    }

    // Only the non-keyed default goes: the keyed "extractive" answerer must stay, it is the fallback.
    private static void ReplaceDefault(IServiceCollection services, ServiceDescriptor replacement)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == replacement.ServiceType && !services[i].IsKeyedService)
            {
                services.RemoveAt(i);
            }
        }
        services.Add(replacement);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
