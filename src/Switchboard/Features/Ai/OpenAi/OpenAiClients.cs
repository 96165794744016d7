using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace Switchboard.Features.Ai.OpenAi;

/// <summary>OpenAI SDK clients that send through an HttpClient of ours, so its resilience handler is the one in charge.</summary>
internal static class OpenAiClients
{
    public static OpenAIClient Create(HttpClient http, string endpoint, string? apiKey, TimeSpan timeout) =>
        // Local servers take any key; the SDK refuses an empty one and always sends a bearer header.
        new(new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "unused" : apiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(endpoint),
            Transport = new HttpClientPipelineTransport(http),
            // Retries belong to the resilience handler; the SDK's own (3 by default) would multiply its attempts.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // Ours fire first; the SDK's default of 100 s would only hide a misconfiguration.
            NetworkTimeout = timeout + TimeSpan.FromSeconds(5),
        });
}
