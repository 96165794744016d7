using Microsoft.Extensions.Options;

namespace Switchboard.Features.Ai.OpenAi;

public enum ChatProvider { Extractive, OpenAI }

/// <summary>Configuration section <c>Ai:Chat</c>: which answerer runs, and how the OpenAI-compatible one is reached.</summary>
public sealed class ChatModelOptions
{
    public const string Section = "Ai:Chat";

    public ChatProvider Provider { get; set; } = ChatProvider.Extractive;

    /// <summary>Base URL of an OpenAI-compatible API, the part before <c>/chat/completions</c> (usually ending in <c>/v1</c>).</summary>
    public string? Endpoint { get; set; }

    public string? Model { get; set; }

    /// <summary>Optional: local servers (Ollama, vLLM, LM Studio) accept any key or none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Stream the answer token by token; off for servers whose streaming is broken.</summary>
    public bool Stream { get; set; } = true;

    /// <summary>The whole model answer, retries and the streamed body included; past it the extractive answer is used.</summary>
    public double TimeoutSeconds { get; set; } = 20;

    /// <summary>One HTTP attempt, up to the response headers (for a non-streamed answer that is the whole generation).</summary>
    public double AttemptTimeoutSeconds { get; set; } = 10;

    /// <summary>Retries after the first attempt on 5xx, 408, 429, connection failures and attempt timeouts.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the exponential, jittered back-off between retries.</summary>
    public double RetryDelaySeconds { get; set; } = 0.5;

    /// <summary>Failed attempts (at least half of them failing) within the sampling window before the circuit opens.</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 5;

    /// <summary>How long an open circuit sends every answer straight to the extractive fallback.</summary>
    public double CircuitBreakerBreakSeconds { get; set; } = 30;

    public int MaxOutputTokens { get; set; } = 400;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);
    public TimeSpan AttemptTimeout => TimeSpan.FromSeconds(AttemptTimeoutSeconds);
}

/// <summary>
/// Start-up checks for <see cref="ChatModelOptions"/>. Only meaningful when the OpenAI provider is chosen: the
/// extractive default needs none of these keys, so it never fails here.
/// </summary>
public sealed class ChatModelOptionsValidator : IValidateOptions<ChatModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatModelOptions options)
    {
        if (options.Provider != ChatProvider.OpenAI)
        {
            return ValidateOptionsResult.Success;
        }
        var errors = new List<string>();
        if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint)
            || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{ChatModelOptions.Section}:Endpoint must be an absolute http(s) URL when {ChatModelOptions.Section}:Provider is OpenAI.");
        }
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            errors.Add($"{ChatModelOptions.Section}:Model is required when {ChatModelOptions.Section}:Provider is OpenAI.");
        }
        // Polly refuses timeouts under 10 ms, and the standard pipeline refuses an attempt longer than the total.
        if (options.TimeoutSeconds < 0.01)
        {
            errors.Add($"{ChatModelOptions.Section}:TimeoutSeconds must be at least 0.01.");
        }
        if (options.AttemptTimeoutSeconds < 0.01 || options.AttemptTimeoutSeconds > options.TimeoutSeconds)
        {
            errors.Add($"{ChatModelOptions.Section}:AttemptTimeoutSeconds must be at least 0.01 and at most TimeoutSeconds.");
        }
        if (options.MaxRetries is < 0 or > 10)
        {
            errors.Add($"{ChatModelOptions.Section}:MaxRetries must be between 0 and 10.");
        }
        if (options.RetryDelaySeconds is < 0 or > 60)
        {
            errors.Add($"{ChatModelOptions.Section}:RetryDelaySeconds must be between 0 and 60.");
        }
        if (options.CircuitBreakerMinimumThroughput < 2)
        {
            errors.Add($"{ChatModelOptions.Section}:CircuitBreakerMinimumThroughput must be at least 2.");
        }
        if (options.CircuitBreakerBreakSeconds < 0.5)
        {
            errors.Add($"{ChatModelOptions.Section}:CircuitBreakerBreakSeconds must be at least 0.5.");
        }
        if (options.MaxOutputTokens < 1)
        {
            errors.Add($"{ChatModelOptions.Section}:MaxOutputTokens must be at least 1.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
