using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Switchboard.Features.Ai;
using Switchboard.Features.Ai.OpenAi;

namespace Switchboard.Tests.Ai.OpenAi;

public sealed class ChatRegistrationTests
{
    [Fact]
    public void DefaultConfigurationRegistersNothing()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IAnswerer, TopPassageAnswerer>();
        var before = services.Count;

        services.AddSwitchboardChat(new ConfigurationBuilder().Build());

        Assert.Equal(before, services.Count);
        Assert.IsType<TopPassageAnswerer>(services.BuildServiceProvider().GetRequiredService<IAnswerer>());
    }

    [Fact]
    public async Task OpenAiProviderReplacesTheDefaultAnswererAndKeepsTheExtractiveFallback()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply("unused"));
        await using var host = AnswererHost.Create(server);

        Assert.IsType<OpenAiAnswerer>(host.Services.GetRequiredService<IAnswerer>());
        Assert.Single(host.Services.GetServices<IAnswerer>());
        Assert.IsType<TopPassageAnswerer>(host.Services.GetRequiredKeyedService<IAnswerer>(OpenAiAnswerer.FallbackKey));
        Assert.Equal("stub-model", host.Answerer.Model);
        host.Services.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task OpenAiProviderWithoutEndpointOrModelFailsAtStart()
    {
        await using var host = AnswererHost.Create(new Dictionary<string, string?>
        {
            ["Ai:Chat:Provider"] = "OpenAI",
            ["Ai:Chat:Endpoint"] = "ftp://models.invalid/v1",
        });

        var failures = StartupFailures(host.Services);

        Assert.Contains(failures, f => f.Contains("Ai:Chat:Endpoint", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Ai:Chat:Model", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AttemptTimeoutLongerThanTheTotalFailsAtStart()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply("unused"));
        await using var host = AnswererHost.Create(server, s => s["Ai:Chat:AttemptTimeoutSeconds"] = "60");

        Assert.Contains(StartupFailures(host.Services), f => f.Contains("AttemptTimeoutSeconds", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAiEmbeddingsReplaceTheDefaultGenerator()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Embeddings(dimensions: 8));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ai:Embeddings:Provider"] = "OpenAI",
            ["Ai:Embeddings:Endpoint"] = server.Endpoint.ToString(),
            ["Ai:Embeddings:Model"] = "stub-embeddings",
            ["Ai:Embeddings:Dimensions"] = "8",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => throw new InvalidOperationException("the local default must be replaced"));
        services.AddSwitchboardChat(configuration);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        provider.GetRequiredService<IStartupValidator>().Validate();

        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var embeddings = await generator.GenerateAsync(["new card", "change PIN"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(8, e.Vector.Length));
        Assert.Equal(0.01f, embeddings[0].Vector.Span[0]);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/embeddings", request.Path);
        Assert.Equal("stub-embeddings", request.Json.GetProperty("model").GetString());
        Assert.Equal(8, request.Json.GetProperty("dimensions").GetInt32());
        Assert.Empty(provider.GetServices<IAnswerer>());
    }

    // The host's start-up check; several failing options come back together in an AggregateException.
    private static List<string> StartupFailures(IServiceProvider services)
    {
        var error = Assert.ThrowsAny<Exception>(() => services.GetRequiredService<IStartupValidator>().Validate());
        var errors = error is AggregateException aggregate ? aggregate.InnerExceptions : [error];
        return [.. errors.Cast<OptionsValidationException>().SelectMany(e => e.Failures)];
    }
}
