using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Switchboard.Features.Ai;

/// <summary>Embedding generators for models other than the configured one, served by a remote (OpenAI-compatible) API.</summary>
public interface IRemoteEmbeddingModels
{
    /// <summary>A generator for <paramref name="model"/>, or null when no endpoint is configured to reach it.</summary>
    IEmbeddingGenerator<string, Embedding<float>>? Create(string model);
}

/// <summary>
/// The embedding model registry: a generator for every model id stored in knowledge_chunks.embedding_model.
/// The configured model is the registered <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>; the local
/// MiniLM id is <see cref="LocalEmbeddingGenerator"/>; any other id is the OpenAI-compatible generator of that
/// model on the configured <c>Ai:Embeddings:Endpoint</c> (same resilience pipeline). During a model change
/// this is how the previous model keeps embedding questions (docs/ai.md, "Changing the model").
/// </summary>
public sealed class EmbeddingModels(IEmbeddingGenerator<string, Embedding<float>> configured, IServiceProvider services) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IEmbeddingGenerator<string, Embedding<float>>?>> _others = new();
    private readonly List<IDisposable> _owned = [];

    /// <summary>The id of the configured model: what new passages are embedded with, and what retrieval switches to.</summary>
    public string Configured { get; } = ModelOf(configured);

    public IEmbeddingGenerator<string, Embedding<float>> ConfiguredGenerator => configured;

    public static string ModelOf(IEmbeddingGenerator<string, Embedding<float>> generator) =>
        generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId ?? "unknown";

    /// <summary>A generator for <paramref name="model"/>, or null when nothing configured can embed with it any more.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Get(string model) =>
        model == Configured ? configured : _others.GetOrAdd(model, m => new(() => Create(m))).Value;

    private IEmbeddingGenerator<string, Embedding<float>>? Create(string model)
    {
        var generator = model == LocalEmbeddingGenerator.ModelName
            ? new LocalEmbeddingGenerator()
            : services.GetService<IRemoteEmbeddingModels>()?.Create(model);
        if (generator is not null)
        {
            lock (_owned) _owned.Add(generator);
        }
        return generator;
    }

    public void Dispose()
    {
        lock (_owned)
        {
            foreach (var generator in _owned) generator.Dispose();
            _owned.Clear();
        }
    }
}
