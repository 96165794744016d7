using Switchboard.Features.Ai;
using Switchboard.Features.Ai.OpenAi;

namespace Switchboard.Tests.Ai.OpenAi;

/// <summary>The OpenAI-compatible answerer against a real local server: answers, citations, usage, the request it sends.</summary>
public sealed class OpenAiAnswererTests
{
    [Fact]
    public async Task StreamedAnswerArrivesTokenByTokenAndCitesRetrievedArticles()
    {
        var tokens = new[] { "New cards ", "arrive within ", "5 working days", " [1]", "." };
        // The stub holds back every later token until the test has seen the first one as a delta:
        // an answerer that buffered the response would never see it and end in its timeout fallback.
        var firstDeltaSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StubChatServer.StartAsync((_, context) =>
            StubChatServer.StreamAsync(context, tokens, index => index == 0 ? firstDeltaSeen.Task : Task.CompletedTask));
        await using var host = AnswererHost.Create(server);

        var updates = new List<AnswerUpdate>();
        await foreach (var update in host.Answerer.AnswerAsync(Knowledge.Question(), TestContext.Current.CancellationToken))
        {
            updates.Add(update);
            firstDeltaSeen.TrySetResult();
        }

        Assert.Equal(tokens, updates.Where(u => u.TextDelta is not null).Select(u => u.TextDelta));
        var completion = Assert.Single(updates, u => u.Completion is not null).Completion!;
        Assert.Same(completion, updates[^1].Completion);
        Assert.Equal(string.Concat(tokens), completion.Text);
        Assert.Equal([Knowledge.Delivery.ArticleId], completion.CitedArticleIds);
        Assert.Equal("stub-model", completion.Model);
        Assert.Null(completion.FallbackReason);
        Assert.Equal(StubChatServer.PromptTokens, completion.InputTokens);
        Assert.Equal(StubChatServer.CompletionTokens, completion.OutputTokens);
        Assert.DoesNotContain(updates, u => u.ResetText);
        Assert.True(Assert.Single(server.Requests).Stream);
    }

    [Fact]
    public async Task NonStreamingAnswerArrivesWhole()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply("You can change your PIN at any cash machine [2]."));
        await using var host = AnswererHost.Create(server, s => s["Ai:Chat:Stream"] = "false");

        var updates = await host.AnswerAsync(Knowledge.Question("How do I change my PIN?"));

        Assert.Equal(["You can change your PIN at any cash machine [2].", null], updates.Select(u => u.TextDelta));
        var completion = updates[^1].Completion!;
        Assert.Equal("You can change your PIN at any cash machine [2].", completion.Text);
        Assert.Equal([Knowledge.Pin.ArticleId], completion.CitedArticleIds);
        Assert.Equal(StubChatServer.PromptTokens, completion.InputTokens);
        Assert.Equal(StubChatServer.CompletionTokens, completion.OutputTokens);
        Assert.Null(completion.FallbackReason);
        Assert.False(Assert.Single(server.Requests).Stream);
    }

    [Fact]
    public async Task RequestIsDeterministicAndAsksForUsage()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply("Within 5 working days [1]."));
        await using var host = AnswererHost.Create(server);

        await host.AnswerAsync(Knowledge.Question());

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal(0, request.Json.GetProperty("temperature").GetDouble());
        Assert.Equal("stub-model", request.Json.GetProperty("model").GetString());
        var maxTokens = request.Json.TryGetProperty("max_completion_tokens", out var m) ? m : request.Json.GetProperty("max_tokens");
        Assert.Equal(400, maxTokens.GetInt32());
        Assert.True(request.Json.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal("Bearer test-key", request.Authorization);
    }

    [Fact]
    public async Task CitationsOfArticlesThatWereNotRetrievedAreDropped()
    {
        var unknownArticle = Guid.Parse("99999999-9999-4999-8999-999999999999");
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply(
            "Change it at a cash machine [2]", " [7]", $" [{unknownArticle}]", ". Cards come in 5 days [1, 9]."));
        await using var host = AnswererHost.Create(server);

        var completion = (await host.AnswerAsync(Knowledge.Question("PIN and card?")))[^1].Completion!;

        Assert.Equal([Knowledge.Pin.ArticleId, Knowledge.Delivery.ArticleId], completion.CitedArticleIds);
        Assert.Equal("Change it at a cash machine [2]. Cards come in 5 days [1].", completion.Text);
        Assert.Null(completion.FallbackReason);
    }

    [Fact]
    public async Task AnswerThatCitesNothingIsAttributedToTheTopPassage()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply("New cards arrive within 5 working days."));
        await using var host = AnswererHost.Create(server);

        var completion = (await host.AnswerAsync(Knowledge.Question("When?", Knowledge.Pin, Knowledge.Delivery)))[^1].Completion!;

        Assert.Equal([Knowledge.Delivery.ArticleId], completion.CitedArticleIds);
    }

    [Fact]
    public async Task EndpointWithoutVersionSegmentIsServedToo()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply("Within 5 working days [1]."));
        await using var host = AnswererHost.Create(server, s => s["Ai:Chat:Endpoint"] = server.Endpoint.ToString().Replace("/v1", "", StringComparison.Ordinal));

        var completion = (await host.AnswerAsync(Knowledge.Question()))[^1].Completion!;

        Assert.Null(completion.FallbackReason);
        Assert.Equal("/chat/completions", Assert.Single(server.Requests).Path);
    }

    [Fact]
    public async Task LocalServerNeedsNoApiKey()
    {
        await using var server = await StubChatServer.StartAsync(StubChatServer.Reply("Within 5 working days [1]."));
        await using var host = AnswererHost.Create(server, s => s.Remove("Ai:Chat:ApiKey"));

        var completion = (await host.AnswerAsync(Knowledge.Question()))[^1].Completion!;

        Assert.Null(completion.FallbackReason);
        Assert.Equal("Within 5 working days [1].", completion.Text);
    }
}
