using Microsoft.Extensions.AI;
using Switchboard.Features.Ai;

namespace Switchboard.Features.Escalation.Detectors;

/// <summary>
/// Embeds the human-request detector's example phrases at start-up, in the background, so that the first
/// customer message does not wait for them. Only with the local model: a remote embedding service is not
/// called before anyone needs it.
/// </summary>
public sealed class DetectorWarmup(HumanRequestDetector detector, IEmbeddingGenerator<string, Embedding<float>> embeddings,
    ILogger<DetectorWarmup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (embeddings is not LocalEmbeddingGenerator) return;
        try
        {
            await Task.Yield();
            await detector.ScoreAsync("Can I talk to a person?", stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The first message will try again; nothing depends on this.
            logger.LogWarning(e, "Could not prepare the human-request detector at start-up");
        }
    }
}
