using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Data;
using Switchboard.Data.Configurations;
using Switchboard.Features.Accounts;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Knowledge.Import;

public static class ImportStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>One import into an organization's knowledge base and its progress (table knowledge_import_jobs).</summary>
public sealed class KnowledgeImportJob
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }

    /// <summary>upload, crawl or cli.</summary>
    public required string Kind { get; set; }

    /// <summary>What was imported: the file names, the start URL, the path.</summary>
    public required string Source { get; set; }

    public string Status { get; set; } = ImportStatus.Queued;

    /// <summary>Articles found in the source (files' sections, rows, pages).</summary>
    public int Found { get; set; }
    public int Created { get; set; }
    public int Updated { get; set; }
    public int Unchanged { get; set; }

    /// <summary>Pages or items that could not be read; the job goes on without them (see <see cref="Warnings"/>).</summary>
    public int Failed { get; set; }

    /// <summary>Passages the written articles need embedded, and how many are done.</summary>
    public int PassagesTotal { get; set; }
    public int PassagesEmbedded { get; set; }

    /// <summary>Why the job failed; nothing of a failed job was written unless it says so.</summary>
    public string? Error { get; set; }

    /// <summary>What was skipped and why, one line each (at most <see cref="KnowledgeImporter.MaxWarnings"/>).</summary>
    public string? Warnings { get; set; }

    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? FinishedAt { get; set; }
}

internal sealed class KnowledgeImportJobConfiguration(ProviderSql sql) : IEntityTypeConfiguration<KnowledgeImportJob>
{
    public void Configure(EntityTypeBuilder<KnowledgeImportJob> e)
    {
        e.ToTable("knowledge_import_jobs", t => t.HasCheckConstraint("ck_knowledge_import_jobs_status",
            "status IN ('queued', 'running', 'succeeded', 'failed')"));
        e.TimestampsAndId(sql, updatedAt: true);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.CreatedBy).OnDelete(DeleteBehavior.SetNull);
        e.Property(x => x.Kind).HasMaxLength(20);
        e.Property(x => x.Source).HasMaxLength(2048);
        e.Property(x => x.Status).HasMaxLength(20).HasDefaultValue(ImportStatus.Queued);
        // The console lists an organization's latest imports; row-level security filters on organization_id.
        e.HasIndex(x => new { x.OrganizationId, x.CreatedAt });
    }
}
