using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Ai;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation.Detectors;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Escalation;

/// <summary>
/// Evaluates an organization's escalation rules on a customer message (docs/escalation.md): gathers the
/// signals (the AI's confidence now and before, the detectors' scores, AI turns, the customer's context,
/// the time in the organization's zone), lets <see cref="RuleEvaluator"/> pick the first rule that fires,
/// and escalates the session with that rule and its reason.
/// </summary>
public sealed class EscalationEngine(SystemDb systemDb, HumanRequestDetector humanRequests, Escalations escalations, TimeProvider clock,
    ILogger<EscalationEngine> logger)
{
    private const int FrustrationHistory = 10;

    /// <summary>The rule that fires for customer message <paramref name="seq"/>, or null.</summary>
    /// <param name="confidence">The AI's retrieval confidence for this message; null when the AI does not answer.</param>
    public async Task<RuleMatch?> EvaluateAsync(Guid sessionId, long seq, string message, double? confidence, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId)
            .Select(s => new
            {
                s.OrganizationId, s.CustomerContext,
                TimeZone = db.Organizations.Where(o => o.Id == s.OrganizationId).Select(o => o.TimeZone).FirstOrDefault(),
            })
            .SingleOrDefaultAsync(ct);
        if (session is null) return null;
        var rules = await db.EscalationRules.AsNoTracking().Where(r => r.OrganizationId == session.OrganizationId && r.IsActive == true).ToListAsync(ct);
        if (rules.Count == 0) return null;

        var earlier = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId && m.Seq < seq && (m.MessageType == MessageTypes.Ai || m.MessageType == MessageTypes.User))
            .OrderBy(m => m.Seq).Select(m => new { m.MessageType, m.Content, m.AiMetadata }).ToListAsync(ct);
        var aiAnswers = earlier.Where(m => m.MessageType == MessageTypes.Ai).ToList();
        var previousConfidences = aiAnswers.Select(m => AiMetadata.Parse(m.AiMetadata)?.Confidence).OfType<double>().ToList();
        var previousQuestions = earlier.Where(m => m.MessageType == MessageTypes.User).TakeLast(FrustrationHistory).Select(m => m.Content).ToList();

        // The embedding model only when a rule asks for it.
        var human = rules.Any(Escalations.AsksForHumans)
            ? await humanRequests.ScoreAsync(message, ct)
            : new DetectorResult(0, null);
        var frustration = FrustrationDetector.Score(message, previousQuestions);
        var signals = new EscalationSignals(message, confidence, previousConfidences, human.Score, frustration.Score, aiAnswers.Count,
            ParseContext(session.CustomerContext), clock.GetUtcNow(), TimeZones.OrUtc(session.TimeZone));
        var match = RuleEvaluator.Evaluate(rules, signals);
        if (match is not null)
        {
            logger.LogInformation("Rule {Rule} fires for message {Seq} of session {Session}: {Reason} (human request {Human:0.00} {HumanEvidence}; frustration {Frustration:0.00} {FrustrationEvidence})",
                match.Rule.RuleName, seq, sessionId, match.Reason, human.Score, human.Evidence, frustration.Score, frustration.Evidence);
        }
        return match;
    }

    /// <summary>Evaluates the rules and escalates when one fires. True when the session is escalated now.</summary>
    public async Task<bool> EscalateIfRuleFiresAsync(Guid sessionId, long seq, string message, double? confidence, CancellationToken ct)
    {
        var match = await EvaluateAsync(sessionId, seq, message, confidence, ct);
        if (match is null) return false;
        var rule = match.Rule;
        var result = await escalations.EscalateAsync(sessionId,
            new EscalationRequest(rule.Id, rule.RuleName, match.Reason, rule.PriorityLevel ?? 1, rule.AgentAssignmentLogic ?? "{}", EscalationTriggers.Rule), ct);
        return result.Status == EscalateStatus.Escalated;
    }

    private static JsonObject ParseContext(string? json)
    {
        try
        {
            return JsonNode.Parse(json ?? "{}") as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }
}
