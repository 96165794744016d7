using Microsoft.Extensions.Options;

namespace Switchboard.Features.Ai.OpenAi;

public enum EmbeddingsProvider { Local, OpenAI }

/// <summary>Configuration section <c>Ai:Embeddings</c>, as far as the optional OpenAI-compatible generator needs it.</summary>
public sealed class OpenAiEmbeddingsOptions
{
    public const string Section = "Ai:Embeddings";

    public EmbeddingsProvider Provider { get; set; } = EmbeddingsProvider.Local;

    /// <summary>Base URL of an OpenAI-compatible API, the part before <c>/embeddings</c>.</summary>
    public string? Endpoint { get; set; }

    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>Requested vector size, for models that can shorten theirs (e.g. 1536); the model's own size when unset.</summary>
    public int? Dimensions { get; set; }

    /// <summary>One embedding request, retries included (many passages are embedded in one batch, so this is per batch).</summary>
    public double TimeoutSeconds { get; set; } = 60;
}

public sealed class OpenAiEmbeddingsOptionsValidator : IValidateOptions<OpenAiEmbeddingsOptions>
{
    public ValidateOptionsResult Validate(string? name, OpenAiEmbeddingsOptions options)
    {
        if (options.Provider != EmbeddingsProvider.OpenAI)
        {
            return ValidateOptionsResult.Success;
        }
        var errors = new List<string>();
        if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint)
            || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{OpenAiEmbeddingsOptions.Section}:Endpoint must be an absolute http(s) URL when {OpenAiEmbeddingsOptions.Section}:Provider is OpenAI.");
        }
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            errors.Add($"{OpenAiEmbeddingsOptions.Section}:Model is required when {OpenAiEmbeddingsOptions.Section}:Provider is OpenAI.");
        }
        if (options.Dimensions is < 1)
        {
            errors.Add($"{OpenAiEmbeddingsOptions.Section}:Dimensions must be positive.");
        }
        if (options.TimeoutSeconds < 1)
        {
            errors.Add($"{OpenAiEmbeddingsOptions.Section}:TimeoutSeconds must be at least 1.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
