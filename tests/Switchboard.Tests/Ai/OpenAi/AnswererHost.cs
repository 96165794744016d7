using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Ai;
using Switchboard.Features.Ai.OpenAi;

namespace Switchboard.Tests.Ai.OpenAi;

/// <summary>Stands in for the extractive answerer: answers with the top passage verbatim, as it does.</summary>
public sealed class TopPassageAnswerer : IAnswerer
{
    public string Model => "extractive";

    public async IAsyncEnumerable<AnswerUpdate> AnswerAsync(AnswerRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var top = request.Passages.MaxBy(p => p.Score)!;
        yield return new AnswerUpdate(top.Text, null);
        yield return new AnswerUpdate(null, new AnswerCompletion(top.Text, [top.ArticleId], Model, null, null, null));
    }
}

/// <summary>
/// Switchboard's chat registrations in a bare service provider, pointed at a stub server, with timeouts short
/// enough that a failing test ends in seconds. Each host has its own resilience pipeline and circuit.
/// </summary>
public sealed class AnswererHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private AnswererHost(ServiceProvider services) => _services = services;

    public IServiceProvider Services => _services;

    public IAnswerer Answerer => _services.GetRequiredService<IAnswerer>();

    public static Dictionary<string, string?> Settings(StubChatServer server) => new()
    {
        ["Ai:Chat:Provider"] = "OpenAI",
        ["Ai:Chat:Endpoint"] = server.Endpoint.ToString(),
        ["Ai:Chat:Model"] = "stub-model",
        ["Ai:Chat:ApiKey"] = "test-key",
        ["Ai:Chat:TimeoutSeconds"] = "10",
        ["Ai:Chat:AttemptTimeoutSeconds"] = "5",
        ["Ai:Chat:MaxRetries"] = "2",
        ["Ai:Chat:RetryDelaySeconds"] = "0.01",
        // Out of reach unless a test lowers it: only the circuit-breaker test wants the circuit to open.
        ["Ai:Chat:CircuitBreakerMinimumThroughput"] = "1000",
    };

    public static AnswererHost Create(StubChatServer server, Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = Settings(server);
        configure?.Invoke(settings);
        return Create(settings);
    }

    public static AnswererHost Create(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        // As the AI defaults register it: the extractive answerer is the default and, under its key, the fallback.
        services.AddSingleton<TopPassageAnswerer>();
        services.AddSingleton<IAnswerer>(sp => sp.GetRequiredService<TopPassageAnswerer>());
        services.AddKeyedSingleton<IAnswerer>(OpenAiAnswerer.FallbackKey, (sp, _) => sp.GetRequiredService<TopPassageAnswerer>());
        services.AddSwitchboardChat(configuration);
        return new AnswererHost(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
    }

    public async Task<IReadOnlyList<AnswerUpdate>> AnswerAsync(AnswerRequest request)
    {
        var updates = new List<AnswerUpdate>();
        await foreach (var update in Answerer.AnswerAsync(request, TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }
        return updates;
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}

/// <summary>Knowledge for the tests: two retrieved passages, the first the best.</summary>
public static class Knowledge
{
    public static readonly Passage Delivery = new(Guid.Parse("0f9d2c1e-1111-4a7b-9c3d-000000000001"), "Card delivery",
        "New cards arrive within 5 working days of the order.", 0.82);

    public static readonly Passage Pin = new(Guid.Parse("0f9d2c1e-2222-4a7b-9c3d-000000000002"), "Changing your PIN",
        "You can change your PIN at any cash machine of the bank.", 0.61);

    public static AnswerRequest Question(string question = "When will my new card arrive?", params Passage[] passages) =>
        new(question, passages.Length == 0 ? [Delivery, Pin] : passages, []);
}
