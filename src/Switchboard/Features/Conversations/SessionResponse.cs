using System.Text.Json;

namespace Switchboard.Features.Conversations;

public sealed record SessionResponse(Guid Id, Guid OrganizationId, Guid? UserId, string? Status, JsonElement CustomerContext, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static SessionResponse From(ChatbotSession s) =>
        new(s.Id, s.OrganizationId, s.UserId, s.Status, JsonDocument.Parse(s.CustomerContext ?? "{}").RootElement.Clone(), s.CreatedAt, s.UpdatedAt);
}
