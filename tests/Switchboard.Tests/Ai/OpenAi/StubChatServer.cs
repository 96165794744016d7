using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Ai.OpenAi;

/// <summary>What the stub received: the raw body (for byte-level checks), its JSON, and its place in the run.</summary>
public sealed record StubRequest(int Number, string Path, string Body, JsonElement Json, string? Authorization)
{
    public bool Stream => Json.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;

    public IReadOnlyList<(string Role, string Content)> Messages =>
        [.. Json.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString()!, ContentOf(m)))];

    // The SDK may send content as a string or as a list of text parts; both mean the same text.
    private static string ContentOf(JsonElement message)
    {
        var content = message.GetProperty("content");
        return content.ValueKind == JsonValueKind.String
            ? content.GetString()!
            : string.Concat(content.EnumerateArray().Select(p => p.GetProperty("text").GetString()));
    }
}

/// <summary>
/// A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol (JSON and SSE streaming) and
/// embeddings, answering each request as the test's behaviour says and recording every request it receives.
/// </summary>
public sealed class StubChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private int _count;

    private StubChatServer(WebApplication app, Func<StubRequest, HttpContext, Task> behaviour)
    {
        _app = app;
        Behaviour = behaviour;
    }

    public Func<StubRequest, HttpContext, Task> Behaviour { get; set; }

    /// <summary>The base URL a client is configured with (the part before /chat/completions).</summary>
    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<StubRequest> Requests => [.. _requests];

    public int RequestCount => Volatile.Read(ref _count);

    public static async Task<StubChatServer> StartAsync(Func<StubRequest, HttpContext, Task> behaviour)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        // Requests a test left hanging (a slow answer the client gave up on) must not hold up the shutdown.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var app = builder.Build();
        var server = new StubChatServer(app, behaviour);
        foreach (var path in new[] { "/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/embeddings" })
        {
            app.MapPost(path, server.HandleAsync);
        }
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        using var json = JsonDocument.Parse(body);
        var request = new StubRequest(Interlocked.Increment(ref _count), context.Request.Path, body, json.RootElement.Clone(),
            context.Request.Headers.Authorization.ToString());
        _requests.Enqueue(request);
        try
        {
            await Behaviour(request, context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (a timeout under test): nothing left to answer.
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    // ---- Behaviours -------------------------------------------------------------------------------------------

    /// <summary>The model's answer in these tokens: one SSE chunk per token when streaming, one JSON body otherwise.</summary>
    public static Func<StubRequest, HttpContext, Task> Reply(params string[] tokens) => (request, context) =>
        request.Stream ? StreamAsync(context, tokens) : JsonAsync(context, string.Concat(tokens));

    public static Func<StubRequest, HttpContext, Task> Status(int status) => (_, context) =>
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { message = "stub failure", type = "server_error" } });
    };

    /// <summary>Waits (until the client gives up) before answering.</summary>
    public static Func<StubRequest, HttpContext, Task> Slow(TimeSpan delay, Func<StubRequest, HttpContext, Task> then) => async (request, context) =>
    {
        await Task.Delay(delay, context.RequestAborted);
        await then(request, context);
    };

    /// <summary>A 200 whose body is not what the protocol says: broken JSON, or SSE lines that hold no JSON.</summary>
    public static Func<StubRequest, HttpContext, Task> Garbage() => async (request, context) =>
    {
        if (request.Stream)
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\n\ndata: ]]]not json at all\n\n");
            await context.Response.WriteAsync("data: [DONE]\n\n");
        }
        else
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"trunc");
        }
    };

    /// <summary>
    /// Streams <paramref name="tokens"/>, then breaks the stream: with garbage, or by dropping the connection once
    /// <paramref name="received"/> completes (a reset connection discards what the client has not read yet).
    /// </summary>
    public static Func<StubRequest, HttpContext, Task> FailMidStream(Task? received, bool dropConnection, params string[] tokens) => async (_, context) =>
    {
        context.Response.ContentType = "text/event-stream";
        foreach (var token in tokens)
        {
            await WriteEventAsync(context, Chunk(new JsonObject { ["content"] = token }, finishReason: null));
        }
        if (received is not null)
        {
            await received.WaitAsync(context.RequestAborted);
        }
        if (dropConnection)
        {
            context.Abort();
            return;
        }
        await context.Response.WriteAsync("data: {\"choices\":[{\"delta\":{\"content\": tru\n\n");
        await context.Response.WriteAsync("data: [DONE]\n\n");
    };

    /// <summary>Embeddings of the requested size, in the encoding the client asked for.</summary>
    public static Func<StubRequest, HttpContext, Task> Embeddings(int dimensions) => (request, context) =>
    {
        var inputs = request.Json.GetProperty("input");
        var count = inputs.ValueKind == JsonValueKind.Array ? inputs.GetArrayLength() : 1;
        var base64 = request.Json.TryGetProperty("encoding_format", out var format) && format.GetString() == "base64";
        var vector = Enumerable.Range(1, dimensions).Select(i => i / 100f).ToArray();
        JsonNode Embedding() => base64
            ? JsonValue.Create(Convert.ToBase64String(vector.SelectMany(BitConverter.GetBytes).ToArray()))
            : new JsonArray([.. vector.Select(v => (JsonNode)JsonValue.Create(v))]);
        var data = new JsonArray([.. Enumerable.Range(0, count).Select(i => (JsonNode)new JsonObject
        {
            ["object"] = "embedding", ["index"] = i, ["embedding"] = Embedding(),
        })]);
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject
        {
            ["object"] = "list", ["data"] = data, ["model"] = "stub-embeddings",
            ["usage"] = new JsonObject { ["prompt_tokens"] = 3, ["total_tokens"] = 3 },
        }.ToJsonString());
    };

    public const int PromptTokens = 321;
    public const int CompletionTokens = 17;

    public static async Task StreamAsync(HttpContext context, IEnumerable<string> tokens, Func<int, Task>? afterToken = null)
    {
        context.Response.ContentType = "text/event-stream";
        await WriteEventAsync(context, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, finishReason: null));
        var index = 0;
        foreach (var token in tokens)
        {
            await WriteEventAsync(context, Chunk(new JsonObject { ["content"] = token }, finishReason: null));
            if (afterToken is not null)
            {
                await afterToken(index);
            }
            index++;
        }
        await WriteEventAsync(context, Chunk(new JsonObject(), finishReason: "stop"));
        // The usage chunk that stream_options.include_usage asks for: no choices, just the counts.
        var usage = Envelope("chat.completion.chunk");
        usage["choices"] = new JsonArray();
        usage["usage"] = Usage();
        await WriteEventAsync(context, usage);
        await context.Response.WriteAsync("data: [DONE]\n\n");
        await context.Response.Body.FlushAsync();
    }

    private static Task JsonAsync(HttpContext context, string text)
    {
        var body = Envelope("chat.completion");
        body["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
            ["finish_reason"] = "stop",
        });
        body["usage"] = Usage();
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static JsonObject Chunk(JsonObject delta, string? finishReason)
    {
        var chunk = Envelope("chat.completion.chunk");
        chunk["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason });
        return chunk;
    }

    private static JsonObject Envelope(string kind) => new()
    {
        ["id"] = "chatcmpl-stub", ["object"] = kind, ["created"] = 1_700_000_000, ["model"] = "stub-model",
    };

    private static JsonObject Usage() => new()
    {
        ["prompt_tokens"] = PromptTokens, ["completion_tokens"] = CompletionTokens, ["total_tokens"] = PromptTokens + CompletionTokens,
    };

    private static async Task WriteEventAsync(HttpContext context, JsonObject data)
    {
        await context.Response.WriteAsync("data: " + data.ToJsonString() + "\n\n");
        // Flushed per event, so the client can only see the tokens one by one if it reads them as they come.
        await context.Response.Body.FlushAsync();
    }
}
