using System.ClientModel;
using System.Net.Sockets;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Switchboard.Features.Ai.OpenAi;

/// <summary>
/// Short, stable reasons for <see cref="AnswerCompletion.FallbackReason"/> and ai_metadata's <c>fallback</c>:
/// operators group and count them, so they name the kind of failure, never an exception message.
/// </summary>
public static class ModelFailure
{
    public const string Timeout = "timeout";
    public const string CircuitOpen = "circuit open";
    public const string Malformed = "malformed response";
    public const string Empty = "empty response";
    public const string ConnectionFailed = "connection failed";
    public const string Error = "error";

    public static string Http(int status) => $"http {status}";

    /// <summary>
    /// Names what went wrong. The SDK and the resilience handler wrap each other's exceptions, so the whole
    /// chain is searched, most specific kind first.
    /// </summary>
    public static string Describe(Exception exception)
    {
        var chain = Chain(exception).ToList();
        if (chain.Any(e => e is BrokenCircuitException))
        {
            return CircuitOpen;
        }
        if (chain.OfType<ClientResultException>().FirstOrDefault(e => e.Status > 0) is { } failed)
        {
            return Http(failed.Status);
        }
        if (chain.OfType<HttpRequestException>().FirstOrDefault(e => e.StatusCode is not null) is { StatusCode: { } code })
        {
            return Http((int)code);
        }
        if (chain.Any(e => e is TimeoutRejectedException or TimeoutException or OperationCanceledException))
        {
            return Timeout;
        }
        if (chain.Any(e => e is HttpRequestException or IOException or SocketException))
        {
            return ConnectionFailed;
        }
        // What the SDK throws when the body is not the JSON it expects: broken JSON, a missing property, a wrong type.
        if (chain.Any(e => e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException or NullReferenceException))
        {
            return Malformed;
        }
        return Error;
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
