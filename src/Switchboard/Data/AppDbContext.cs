using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data.Configurations;
using Switchboard.Features.Accounts;
using Switchboard.Features.Analytics;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Knowledge.Import;
using Switchboard.Features.Organizations;
using Switchboard.Features.Webhooks;
using Switchboard.Tenancy;

namespace Switchboard.Data;

/// <summary>
/// The one model of Switchboard. A thin subclass per provider owns its migrations. Query filters
/// are the application wall: they mirror the seed's row-level-security rules on every provider.
/// </summary>
public abstract class AppDbContext(DbContextOptions options, CurrentPrincipal principal)
    : IdentityUserContext<AppUser, Guid>(options)
{
    public CurrentPrincipal Principal { get; } = principal;

    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<OrganizationMember> OrganizationMembers => Set<OrganizationMember>();
    public DbSet<ChatbotSession> Sessions => Set<ChatbotSession>();
    public DbSet<ConversationMessage> Messages => Set<ConversationMessage>();
    public DbSet<KnowledgeArticle> Knowledge => Set<KnowledgeArticle>();
    public DbSet<KnowledgeChunk> KnowledgeChunks => Set<KnowledgeChunk>();
    public DbSet<KnowledgeAnswerTest> AnswerTests => Set<KnowledgeAnswerTest>();
    public DbSet<KnowledgeAnswerTestRun> AnswerTestRuns => Set<KnowledgeAnswerTestRun>();
    public DbSet<AgentAnalytics> AgentAnalytics => Set<AgentAnalytics>();
    public DbSet<EscalationRule> EscalationRules => Set<EscalationRule>();
    public DbSet<KnowledgeImportJob> KnowledgeImportJobs => Set<KnowledgeImportJob>();
    public DbSet<KnowledgeArticleOutcome> ArticleOutcomes => Set<KnowledgeArticleOutcome>();
    public DbSet<SessionEscalation> Escalations => Set<SessionEscalation>();
    public DbSet<SessionAssignment> Assignments => Set<SessionAssignment>();
    public DbSet<SessionNote> SessionNotes => Set<SessionNote>();
    public DbSet<SessionCsat> Csat => Set<SessionCsat>();
    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    protected abstract ProviderSql Sql { get; }

    // Query filters read these per query, so one context instance always answers for its principal.
    private bool IsSystem => Principal.IsSystem;
    private Guid? UserId => Principal.UserId;
    private string? SessionToken => Principal.SessionToken;
    private List<Guid> MemberOrgs => Principal.OrganizationsWithRole(OrgRoles.Member);
    private List<Guid> AgentOrgs => Principal.OrganizationsWithRole(OrgRoles.Agent);
    private List<Guid> AdminOrgs => Principal.OrganizationsWithRole(OrgRoles.Admin);

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        new IdentityConfiguration(Sql).Apply(builder);
        builder.ApplyConfiguration(new OrganizationConfiguration(Sql));
        builder.ApplyConfiguration(new OrganizationMemberConfiguration(Sql));
        builder.ApplyConfiguration(new ChatbotSessionConfiguration(Sql));
        builder.ApplyConfiguration(new ConversationMessageConfiguration(Sql));
        builder.ApplyConfiguration(new KnowledgeArticleConfiguration(Sql));
        builder.ApplyConfiguration(new KnowledgeChunkConfiguration(Sql));
        builder.ApplyConfiguration(new KnowledgeAnswerTestConfiguration(Sql));
        builder.ApplyConfiguration(new KnowledgeAnswerTestRunConfiguration(Sql));
        builder.ApplyConfiguration(new AgentAnalyticsConfiguration(Sql));
        builder.ApplyConfiguration(new EscalationRuleConfiguration(Sql));
        builder.ApplyConfiguration(new KnowledgeImportJobConfiguration(Sql));
        builder.ApplyConfiguration(new KnowledgeArticleOutcomeConfiguration(Sql));
        builder.ApplyConfiguration(new SessionEscalationConfiguration(Sql));
        builder.ApplyConfiguration(new SessionAssignmentConfiguration(Sql));
        builder.ApplyConfiguration(new SessionNoteConfiguration(Sql));
        builder.ApplyConfiguration(new SessionCsatConfiguration(Sql));
        builder.ApplyConfiguration(new WebhookEndpointConfiguration(Sql));
        builder.ApplyConfiguration(new WebhookDeliveryConfiguration(Sql));

        // The seed's RLS rules, restated for the application wall (see docs/security.md).
        builder.Entity<ChatbotSession>().HasQueryFilter(s =>
            IsSystem
            || (UserId != null && s.UserId == UserId)
            || (SessionToken != null && s.SessionToken == SessionToken)
            || AgentOrgs.Contains(s.OrganizationId));
        builder.Entity<ConversationMessage>().HasQueryFilter(m =>
            IsSystem
            || (UserId != null && m.Session!.UserId == UserId)
            || (SessionToken != null && m.Session!.SessionToken == SessionToken)
            || AgentOrgs.Contains(m.Session!.OrganizationId));
        builder.Entity<KnowledgeArticle>().HasQueryFilter(k =>
            IsSystem || k.OrganizationId == null || MemberOrgs.Contains(k.OrganizationId.Value));
        // Chunks are readable exactly where their article is (003_knowledge_chunks_row_level_security.sql).
        builder.Entity<KnowledgeChunk>().HasQueryFilter(c =>
            IsSystem || c.OrganizationId == null || MemberOrgs.Contains(c.OrganizationId.Value));
        // Answer tests and their runs: the organization's admins only (004_answer_tests_row_level_security.sql).
        builder.Entity<KnowledgeAnswerTest>().HasQueryFilter(t => IsSystem || AdminOrgs.Contains(t.OrganizationId));
        builder.Entity<KnowledgeAnswerTestRun>().HasQueryFilter(r => IsSystem || AdminOrgs.Contains(r.OrganizationId));
        builder.Entity<AgentAnalytics>().HasQueryFilter(a =>
            IsSystem
            || (UserId != null && a.AgentId == UserId)
            || (a.OrganizationId != null && AdminOrgs.Contains(a.OrganizationId.Value)));
        builder.Entity<EscalationRule>().HasQueryFilter(r => IsSystem || AdminOrgs.Contains(r.OrganizationId));
        // Import jobs: members follow their organization's imports (005_knowledge_import_row_level_security.sql).
        builder.Entity<KnowledgeImportJob>().HasQueryFilter(j => IsSystem || MemberOrgs.Contains(j.OrganizationId));
        // Article outcomes: the organization's agents and admins read them; only the trusted path writes (007_article_outcomes_row_level_security.sql).
        builder.Entity<KnowledgeArticleOutcome>().HasQueryFilter(o => IsSystem || AgentOrgs.Contains(o.OrganizationId));
        // Escalations, assignments and internal notes: the organization's agents and admins (008_escalations_row_level_security.sql).
        builder.Entity<SessionEscalation>().HasQueryFilter(x => IsSystem || AgentOrgs.Contains(x.OrganizationId));
        builder.Entity<SessionAssignment>().HasQueryFilter(x => IsSystem || AgentOrgs.Contains(x.OrganizationId));
        builder.Entity<SessionNote>().HasQueryFilter(x => IsSystem || AgentOrgs.Contains(x.OrganizationId));
        // CSAT ratings: the organization's agents and admins read them; only the trusted path writes (010_csat_row_level_security.sql).
        builder.Entity<SessionCsat>().HasQueryFilter(x => IsSystem || AgentOrgs.Contains(x.OrganizationId));
        // Webhooks and their delivery log: the organization's admins only (009_webhooks_row_level_security.sql).
        builder.Entity<WebhookEndpoint>().HasQueryFilter(w => IsSystem || AdminOrgs.Contains(w.OrganizationId));
        builder.Entity<WebhookDelivery>().HasQueryFilter(d => IsSystem || AdminOrgs.Contains(d.OrganizationId));

        // The tenant tables around the seed, as 002_tenant_tables_row_level_security.sql restricts them.
        builder.Entity<Organization>().HasQueryFilter(o => IsSystem || MemberOrgs.Contains(o.Id));
        builder.Entity<OrganizationMember>().HasQueryFilter(m => IsSystem || (UserId != null && m.UserId == UserId) || AgentOrgs.Contains(m.OrganizationId));
        builder.Entity<AppUser>().HasQueryFilter(u => IsSystem || (UserId != null && u.Id == UserId)
            || Set<OrganizationMember>().Any(m => m.UserId == u.Id && AgentOrgs.Contains(m.OrganizationId)));
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State == EntityState.Modified && entry.Metadata.FindProperty("UpdatedAt") is { } updatedAt)
            {
                entry.Property(updatedAt.Name).CurrentValue = now;
            }
        }
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }
}
