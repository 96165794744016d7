namespace Switchboard.Features.Escalation.Detectors;

/// <summary>What a detector found in one customer message: <paramref name="Score"/> 0..1 (at or above the
/// detector's DefaultThreshold means "yes") and <paramref name="Evidence"/>, what made it say so (the example
/// phrase or pattern matched, the frustration cues), null when nothing did.</summary>
public sealed record DetectorResult(double Score, string? Evidence);
