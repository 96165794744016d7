using Switchboard.Features.Ai.OpenAi;

namespace Switchboard.Tests.Ai.OpenAi;

public sealed class CircuitBreakerTests
{
    [Fact]
    public async Task RepeatedFailuresOpenTheCircuitAndRequestsStopReachingTheServer()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Status(500));
        await using var host = AnswererHost.Create(server, s =>
        {
            s["Ai:Chat:MaxRetries"] = "0";
            s["Ai:Chat:CircuitBreakerMinimumThroughput"] = "3";
            // Far longer than the test: the circuit cannot half-open while it runs.
            s["Ai:Chat:CircuitBreakerBreakSeconds"] = "600";
        });

        for (var i = 0; i < 3; i++)
        {
            var failed = (await host.AnswerAsync(Knowledge.Question()))[^1].Completion!;
            Assert.Equal("http 500", failed.FallbackReason);
        }
        Assert.Equal(3, server.RequestCount);

        for (var i = 0; i < 3; i++)
        {
            var completion = (await host.AnswerAsync(Knowledge.Question()))[^1].Completion!;
            Assert.Equal(ModelFailure.CircuitOpen, completion.FallbackReason);
            Assert.Equal("extractive", completion.Model);
            Assert.Equal(Knowledge.Delivery.Text, completion.Text);
        }
        Assert.Equal(3, server.RequestCount);
    }
}
