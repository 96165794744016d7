using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Features.Accounts;
using Switchboard.Features.Analytics;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;

namespace Switchboard.Data.Configurations;

internal static class ProviderSqlExtensions
{
    public static PropertyBuilder<T> DefaultSql<T>(this PropertyBuilder<T> property, string? sql) =>
        sql is null ? property : property.HasDefaultValueSql(sql);

    public static PropertyBuilder<T> Json<T>(this PropertyBuilder<T> property, ProviderSql sql)
    {
        if (sql.JsonType is not null)
        {
            property.HasColumnType(sql.JsonType);
        }
        return property.HasDefaultValueSql(sql.EmptyJsonDefault);
    }

    public static PropertyBuilder<T> Numeric<T>(this PropertyBuilder<T> property, ProviderSql sql) =>
        sql.DecimalType is null ? property : property.HasColumnType(sql.DecimalType);

    public static void TimestampsAndId<T>(this EntityTypeBuilder<T> entity, ProviderSql sql, bool updatedAt) where T : class
    {
        entity.Property<Guid>("Id").DefaultSql(sql.NewIdDefault);
        entity.Property<DateTimeOffset>("CreatedAt").DefaultSql(sql.NowDefault);
        if (updatedAt)
        {
            entity.Property<DateTimeOffset>("UpdatedAt").DefaultSql(sql.NowDefault);
        }
    }
}

internal sealed class IdentityConfiguration(ProviderSql sql)
{
    public void Apply(ModelBuilder builder)
    {
        // On PostgreSQL the seed's foreign keys point at auth.users.
        builder.Entity<AppUser>(u =>
        {
            u.ToTable("users", sql.AuthSchema);
            u.Property(x => x.DisplayName).HasMaxLength(200);
            u.Property(x => x.CreatedAt).DefaultSql(sql.NowDefault);
        });
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserClaim<Guid>>().ToTable("user_claims", sql.AuthSchema);
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserLogin<Guid>>().ToTable("user_logins", sql.AuthSchema);
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserToken<Guid>>().ToTable("user_tokens", sql.AuthSchema);
    }
}

internal sealed class OrganizationConfiguration(ProviderSql sql) : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> e)
    {
        e.ToTable("organizations");
        e.TimestampsAndId(sql, updatedAt: true);
        e.Property(x => x.Name).HasMaxLength(200);
        e.Property(x => x.Slug).HasMaxLength(100);
        e.HasIndex(x => x.Slug).IsUnique();
        e.HasIndex(x => x.WidgetKey).IsUnique();
        e.Property(x => x.AllowedOrigins).DefaultSql(sql.EmptyTextArrayDefault);
        e.Property(x => x.TimeZone).HasDefaultValue("UTC");
    }
}

internal sealed class OrganizationMemberConfiguration(ProviderSql sql) : IEntityTypeConfiguration<OrganizationMember>
{
    public void Configure(EntityTypeBuilder<OrganizationMember> e)
    {
        e.ToTable("organization_members", t =>
        {
            t.HasCheckConstraint("ck_organization_members_role", "role IN ('member', 'agent', 'admin')");
            t.HasCheckConstraint("ck_organization_members_availability", "availability IN ('online', 'away', 'offline')");
            t.HasCheckConstraint("ck_organization_members_max_concurrent", "max_concurrent >= 0");
            t.HasCheckConstraint("ck_organization_members_active_conversations", "active_conversations >= 0");
        });
        e.HasKey(x => new { x.OrganizationId, x.UserId });
        e.HasIndex(x => x.UserId);
        e.Property(x => x.Role).HasDefaultValue(OrgRoles.Member);
        e.Property(x => x.Availability).HasDefaultValue(AgentAvailability.Offline);
        e.Property(x => x.MaxConcurrent).HasDefaultValue(3).HasSentinel(-1); // 0 is a real capacity, not "unset"
        e.Property(x => x.ActiveConversations).HasDefaultValue(0);
        e.Property(x => x.Skills).DefaultSql(sql.EmptyTextArrayDefault);
        e.Property(x => x.CreatedAt).DefaultSql(sql.NowDefault);
        e.HasOne(x => x.Organization).WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne(x => x.User).WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ChatbotSessionConfiguration(ProviderSql sql) : IEntityTypeConfiguration<ChatbotSession>
{
    public void Configure(EntityTypeBuilder<ChatbotSession> e)
    {
        e.ToTable("chatbot_sessions", t =>
            t.HasCheckConstraint("chatbot_sessions_status_check", "status IN ('active', 'escalated', 'resolved')"));
        e.TimestampsAndId(sql, updatedAt: true);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.NoAction);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.NoAction);
        e.HasIndex(x => x.SessionToken).IsUnique();
        e.Property(x => x.CustomerContext).Json(sql);
        e.Property(x => x.AiContext).Json(sql);
        e.Property(x => x.Status).HasDefaultValue(SessionStatus.Active);
        e.HasIndex(x => new { x.OrganizationId, x.UserId }).HasDatabaseName("idx_chatbot_sessions_org_user");
    }
}

internal sealed class ConversationMessageConfiguration(ProviderSql sql) : IEntityTypeConfiguration<ConversationMessage>
{
    public void Configure(EntityTypeBuilder<ConversationMessage> e)
    {
        e.ToTable("chatbot_conversations", t =>
            t.HasCheckConstraint("chatbot_conversations_message_type_check", "message_type IN ('user', 'ai', 'agent', 'system')"));
        e.TimestampsAndId(sql, updatedAt: false);
        e.HasOne(x => x.Session).WithMany(s => s.Messages).HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.NoAction);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.NoAction);
        e.Property(x => x.AiMetadata).Json(sql);
        e.HasIndex(x => new { x.SessionId, x.CreatedAt }).HasDatabaseName("idx_chatbot_conversations_session");
        e.HasIndex(x => x.AgentId);
        e.HasIndex(x => new { x.SessionId, x.Seq }).IsUnique();
        e.Property(x => x.ClientMessageId).HasMaxLength(100);
        e.HasIndex(x => new { x.SessionId, x.ClientMessageId }).IsUnique().HasFilter("client_message_id IS NOT NULL");
    }
}

internal sealed class KnowledgeArticleConfiguration(ProviderSql sql) : IEntityTypeConfiguration<KnowledgeArticle>
{
    public void Configure(EntityTypeBuilder<KnowledgeArticle> e)
    {
        e.ToTable("ai_knowledge_base");
        e.TimestampsAndId(sql, updatedAt: true);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.NoAction);
        e.Property(x => x.Category).HasDefaultValue("general");
        e.Property(x => x.Tags).DefaultSql(sql.EmptyTextArrayDefault);
        e.Property(x => x.EffectivenessScore).Numeric(sql).HasDefaultValue(0m);
        e.Property(x => x.UsageCount).HasDefaultValue(0);
        e.Property(x => x.IsActive).HasDefaultValue(true);
        e.HasIndex(x => new { x.OrganizationId, x.Category })
            .HasDatabaseName("idx_ai_knowledge_base_org_category")
            .HasFilter("is_active = true");
        // Import identity (docs/knowledge-import.md): one article per source and organization.
        e.Property(x => x.SourceUri).HasMaxLength(2048);
        e.Property(x => x.SourceHash).HasMaxLength(64);
        e.HasIndex(x => new { x.OrganizationId, x.SourceUri })
            .IsUnique()
            .HasDatabaseName("idx_ai_knowledge_base_org_source_uri")
            .HasFilter("source_uri IS NOT NULL");
    }
}

internal sealed class KnowledgeChunkConfiguration(ProviderSql sql) : IEntityTypeConfiguration<KnowledgeChunk>
{
    public void Configure(EntityTypeBuilder<KnowledgeChunk> e)
    {
        e.ToTable("knowledge_chunks");
        e.TimestampsAndId(sql, updatedAt: false);
        // Chunks are derived data: they go with their article.
        e.HasOne(x => x.Article).WithMany().HasForeignKey(x => x.ArticleId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.NoAction);
        // One row per passage and model: during a model change the new model's passages sit beside the old ones (docs/ai.md).
        e.HasIndex(x => new { x.ArticleId, x.EmbeddingModel, x.Ordinal }).IsUnique();
        // Retrieval loads one organization's chunks (and the global ones); row-level security filters on it too.
        e.HasIndex(x => x.OrganizationId);
        e.Property(x => x.EmbeddingModel).HasMaxLength(200);
        e.Property(x => x.ContentHash).HasMaxLength(64);
    }
}

internal sealed class AgentAnalyticsConfiguration(ProviderSql sql) : IEntityTypeConfiguration<AgentAnalytics>
{
    public void Configure(EntityTypeBuilder<AgentAnalytics> e)
    {
        e.ToTable("agent_analytics");
        e.TimestampsAndId(sql, updatedAt: false);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.NoAction);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.NoAction);
        e.Property(x => x.Date).DefaultSql(sql.TodayDefault);
        e.Property(x => x.ConversationsHandled).HasDefaultValue(0);
        e.Property(x => x.AvgResolutionTimeMinutes).Numeric(sql).HasDefaultValue(0m);
        e.Property(x => x.CustomerSatisfactionScore).Numeric(sql).HasDefaultValue(0m);
        e.Property(x => x.AiEscalationsReceived).HasDefaultValue(0);
        e.HasIndex(x => new { x.Date, x.OrganizationId }).HasDatabaseName("idx_agent_analytics_date_org");
        e.HasIndex(x => x.AgentId);
        // One row per agent, organization and day: live updates and rebuilds upsert it (an addition to the seed).
        e.HasIndex(x => new { x.AgentId, x.OrganizationId, x.Date }).IsUnique().HasDatabaseName("ux_agent_analytics_agent_org_date");
    }
}

internal sealed class EscalationRuleConfiguration(ProviderSql sql) : IEntityTypeConfiguration<EscalationRule>
{
    public void Configure(EntityTypeBuilder<EscalationRule> e)
    {
        e.ToTable("escalation_rules", t =>
            t.HasCheckConstraint("escalation_rules_priority_level_check", "priority_level BETWEEN 1 AND 5"));
        e.TimestampsAndId(sql, updatedAt: true);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.NoAction);
        e.Property(x => x.TriggerKeywords).DefaultSql(sql.EmptyTextArrayDefault);
        e.Property(x => x.TriggerConditions).Json(sql);
        e.Property(x => x.AgentAssignmentLogic).Json(sql);
        e.Property(x => x.PriorityLevel).HasDefaultValue(1);
        e.Property(x => x.IsActive).HasDefaultValue(true);
        e.HasIndex(x => x.OrganizationId);
    }
}

internal sealed class SessionEscalationConfiguration(ProviderSql sql) : IEntityTypeConfiguration<SessionEscalation>
{
    public void Configure(EntityTypeBuilder<SessionEscalation> e)
    {
        e.ToTable("session_escalations", t =>
        {
            t.HasCheckConstraint("ck_session_escalations_priority", "priority BETWEEN 1 AND 5");
            t.HasCheckConstraint("ck_session_escalations_outcome", "outcome IS NULL OR outcome IN ('resolved', 'handed_back')");
            t.HasCheckConstraint("ck_session_escalations_trigger", "trigger IN ('rule', 'customer', 'agent')");
        });
        e.Property(x => x.Id).DefaultSql(sql.NewIdDefault);
        e.Property(x => x.EscalatedAt).DefaultSql(sql.NowDefault);
        e.Property(x => x.AssignmentLogic).Json(sql);
        e.Property(x => x.Trigger).HasMaxLength(20).HasDefaultValue(EscalationTriggers.Rule);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<ChatbotSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AssignedAgentId).OnDelete(DeleteBehavior.SetNull);
        // At most one open escalation per session: two racing escalations of one session insert one row.
        e.HasIndex(x => x.SessionId).IsUnique().HasFilter("ended_at IS NULL").HasDatabaseName("ux_session_escalations_open");
        // The queue: open, unassigned, by priority then age.
        e.HasIndex(x => new { x.OrganizationId, x.Priority, x.EscalatedAt }).HasFilter("ended_at IS NULL AND assigned_agent_id IS NULL")
            .HasDatabaseName("ix_session_escalations_queue");
        e.HasIndex(x => new { x.AssignedAgentId, x.EndedAt });
        // A session's escalations (history, live analytics) and an organization's ended ones by time (analytics, dashboard).
        e.HasIndex(x => x.SessionId, "ix_session_escalations_session");
        e.HasIndex(x => new { x.OrganizationId, x.EndedAt }, "ix_session_escalations_org_ended");
    }
}

internal sealed class SessionAssignmentConfiguration(ProviderSql sql) : IEntityTypeConfiguration<SessionAssignment>
{
    public void Configure(EntityTypeBuilder<SessionAssignment> e)
    {
        e.ToTable("session_assignments", t =>
            t.HasCheckConstraint("ck_session_assignments_how", "how IN ('auto', 'taken', 'manual')"));
        e.Property(x => x.Id).DefaultSql(sql.NewIdDefault);
        e.Property(x => x.AssignedAt).DefaultSql(sql.NowDefault);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<SessionEscalation>().WithMany().HasForeignKey(x => x.EscalationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => new { x.SessionId, x.AssignedAt });
        e.HasIndex(x => new { x.OrganizationId, x.AssignedAt });
    }
}

internal sealed class SessionNoteConfiguration(ProviderSql sql) : IEntityTypeConfiguration<SessionNote>
{
    public void Configure(EntityTypeBuilder<SessionNote> e)
    {
        e.ToTable("session_notes");
        e.Property(x => x.Id).DefaultSql(sql.NewIdDefault);
        e.Property(x => x.CreatedAt).DefaultSql(sql.NowDefault);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<ChatbotSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => new { x.SessionId, x.CreatedAt });
    }
}

internal sealed class SessionCsatConfiguration(ProviderSql sql) : IEntityTypeConfiguration<SessionCsat>
{
    public void Configure(EntityTypeBuilder<SessionCsat> e)
    {
        e.ToTable("session_csat", t => t.HasCheckConstraint("ck_session_csat_score", "score BETWEEN 1 AND 5"));
        e.Property(x => x.Id).DefaultSql(sql.NewIdDefault);
        e.Property(x => x.CreatedAt).DefaultSql(sql.NowDefault);
        e.Property(x => x.Comment).HasMaxLength(SessionCsat.MaxCommentLength);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<ChatbotSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.SetNull);
        e.HasIndex(x => x.SessionId).IsUnique(); // once per session
        e.HasIndex(x => new { x.OrganizationId, x.CreatedAt });
        e.HasIndex(x => x.AgentId);
    }
}
