using Switchboard.Features.Ai;
using Switchboard.Features.Ai.OpenAi;

namespace Switchboard.Tests.Ai.OpenAi;

/// <summary>Whatever the model does wrong, the customer gets the extractive answer, and the completion says why.</summary>
public sealed class FallbackTests
{
    [Fact]
    public async Task SlowServerBeyondTheTimeoutGivesTheExtractiveAnswer()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Slow(TimeSpan.FromMinutes(5), StubChatServer.Reply("too late")));
        await using var host = AnswererHost.Create(server, s =>
        {
            s["Ai:Chat:TimeoutSeconds"] = "1";
            s["Ai:Chat:AttemptTimeoutSeconds"] = "0.4";
        });

        var updates = await host.AnswerAsync(Knowledge.Question());

        AssertExtractiveAnswer(updates, ModelFailure.Timeout);
        Assert.True(server.RequestCount >= 1);
    }

    [Fact]
    public async Task StreamThatStallsAfterItsHeadersGivesTheExtractiveAnswer()
    {
        // Headers and one token arrive at once, so only the answer's own deadline can end the wait.
        await using var server = await StubChatServer.StartAsync((_, context) => StubChatServer.StreamAsync(context, ["New cards"],
            _ => Task.Delay(TimeSpan.FromMinutes(5), context.RequestAborted)));
        await using var host = AnswererHost.Create(server, s =>
        {
            s["Ai:Chat:TimeoutSeconds"] = "1";
            s["Ai:Chat:AttemptTimeoutSeconds"] = "0.5";
        });

        var updates = await host.AnswerAsync(Knowledge.Question());

        Assert.Equal("New cards", updates[0].TextDelta);
        Assert.True(updates[1].ResetText);
        AssertExtractiveAnswer(updates.Skip(2).ToList(), ModelFailure.Timeout);
    }

    [Fact]
    public async Task ServerErrorIsRetriedThenGivesTheExtractiveAnswer()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Status(500));
        await using var host = AnswererHost.Create(server, s => s["Ai:Chat:MaxRetries"] = "2");

        var updates = await host.AnswerAsync(Knowledge.Question());

        AssertExtractiveAnswer(updates, "http 500");
        Assert.Equal(3, server.RequestCount);
        // A retry resends the same request, body and all.
        Assert.Single(server.Requests.Select(r => r.Body).Distinct());
    }

    [Fact]
    public async Task ServerErrorFollowedBySuccessIsAnsweredByTheModel()
    {
        var answer = StubChatServer.Reply("New cards arrive within 5 working days [1].");
        var error = StubChatServer.Status(503);
        await using var server = await StubChatServer.StartAsync((request, context) => request.Number == 1 ? error(request, context) : answer(request, context));
        await using var host = AnswererHost.Create(server);

        var completion = (await host.AnswerAsync(Knowledge.Question()))[^1].Completion!;

        Assert.Null(completion.FallbackReason);
        Assert.Equal("stub-model", completion.Model);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task ClientErrorIsNotRetried()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Status(401));
        await using var host = AnswererHost.Create(server);

        var updates = await host.AnswerAsync(Knowledge.Question());

        AssertExtractiveAnswer(updates, "http 401");
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task MalformedJsonGivesTheExtractiveAnswer()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Garbage());
        await using var host = AnswererHost.Create(server, s => s["Ai:Chat:Stream"] = "false");

        AssertExtractiveAnswer(await host.AnswerAsync(Knowledge.Question()), ModelFailure.Malformed);
    }

    [Fact]
    public async Task GarbageEventStreamGivesTheExtractiveAnswer()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Garbage());
        await using var host = AnswererHost.Create(server);

        AssertExtractiveAnswer(await host.AnswerAsync(Knowledge.Question()), ModelFailure.Malformed);
    }

    [Fact]
    public async Task EmptyAnswerGivesTheExtractiveAnswer()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply());
        await using var host = AnswererHost.Create(server);

        AssertExtractiveAnswer(await host.AnswerAsync(Knowledge.Question()), ModelFailure.Empty);
    }

    [Fact]
    public async Task GarbageAfterSomeTokensResetsThePartialTextBeforeTheFallback()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.FailMidStream(received: null, dropConnection: false, "New cards ", "arrive"));
        await using var host = AnswererHost.Create(server);

        var updates = await host.AnswerAsync(Knowledge.Question());

        Assert.Equal(["New cards ", "arrive"], updates.TakeWhile(u => !u.ResetText).Select(u => u.TextDelta));
        var reset = Assert.Single(updates, u => u.ResetText);
        Assert.Null(reset.TextDelta);
        Assert.Null(reset.Completion);
        AssertExtractiveAnswer(updates.SkipWhile(u => !u.ResetText).Skip(1).ToList(), ModelFailure.Malformed);
    }

    [Fact]
    public async Task DroppedConnectionMidStreamResetsThePartialTextBeforeTheFallback()
    {
        var bothTokensSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StubChatServer.StartAsync(StubChatServer.FailMidStream(bothTokensSeen.Task, dropConnection: true, "New cards ", "arrive"));
        await using var host = AnswererHost.Create(server);

        var updates = new List<AnswerUpdate>();
        await foreach (var update in host.Answerer.AnswerAsync(Knowledge.Question(), TestContext.Current.CancellationToken))
        {
            updates.Add(update);
            if (update.TextDelta == "arrive")
            {
                bothTokensSeen.TrySetResult();
            }
        }

        Assert.Equal(["New cards ", "arrive"], updates.TakeWhile(u => !u.ResetText).Select(u => u.TextDelta));
        Assert.Single(updates, u => u.ResetText);
        AssertExtractiveAnswer(updates.SkipWhile(u => !u.ResetText).Skip(1).ToList(), ModelFailure.ConnectionFailed);
    }

    [Fact]
    public async Task FailureBeforeAnyTokenSendsNoReset()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Status(500));
        await using var host = AnswererHost.Create(server, s => s["Ai:Chat:MaxRetries"] = "0");

        var updates = await host.AnswerAsync(Knowledge.Question());

        Assert.DoesNotContain(updates, u => u.ResetText);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task UnreachableServerGivesTheExtractiveAnswer()
    {
        Uri endpoint;
        await using (var server = await StubChatServer.StartAsync(StubChatServer.Reply("unused")))
        {
            endpoint = server.Endpoint;
        }
        var settings = new Dictionary<string, string?>
        {
            ["Ai:Chat:Provider"] = "OpenAI",
            ["Ai:Chat:Endpoint"] = endpoint.ToString(), // nothing listens there any more
            ["Ai:Chat:Model"] = "stub-model",
            ["Ai:Chat:TimeoutSeconds"] = "5",
            ["Ai:Chat:AttemptTimeoutSeconds"] = "2",
            ["Ai:Chat:RetryDelaySeconds"] = "0.01",
        };
        await using var host = AnswererHost.Create(settings);

        AssertExtractiveAnswer(await host.AnswerAsync(Knowledge.Question()), ModelFailure.ConnectionFailed);
    }

    [Fact]
    public async Task CallerCancellationIsNotTurnedIntoAFallback()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Slow(TimeSpan.FromMinutes(5), StubChatServer.Reply("too late")));
        await using var host = AnswererHost.Create(server);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        gone.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in host.Answerer.AnswerAsync(Knowledge.Question(), gone.Token))
            {
            }
        });
    }

    /// <summary>The top passage verbatim, its article as the source, marked as the extractive answer and why.</summary>
    private static void AssertExtractiveAnswer(IReadOnlyList<AnswerUpdate> updates, string reason)
    {
        Assert.Equal([Knowledge.Delivery.Text, null], updates.Select(u => u.TextDelta));
        var completion = updates[^1].Completion!;
        Assert.Equal("extractive", completion.Model);
        Assert.Equal(reason, completion.FallbackReason);
        Assert.Equal(Knowledge.Delivery.Text, completion.Text);
        Assert.Equal([Knowledge.Delivery.ArticleId], completion.CitedArticleIds);
    }
}
