namespace Switchboard.Features.Conversations;

/// <summary>A customer's chat with one organization (seed table chatbot_sessions).</summary>
public sealed class ChatbotSession
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid? UserId { get; set; }
    public required string SessionToken { get; set; }
    public string? CustomerContext { get; set; } = "{}";
    public string? AiContext { get; set; } = "{}";
    public string? Status { get; set; } = SessionStatus.Active;
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    public List<ConversationMessage> Messages { get; set; } = [];

    public static string NewToken() => "st_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))
        .Replace('+', '-').Replace('/', '_');
}

public static class SessionStatus
{
    public const string Active = "active";
    public const string Escalated = "escalated";
    public const string Resolved = "resolved";
    public static readonly string[] All = [Active, Escalated, Resolved];
}
