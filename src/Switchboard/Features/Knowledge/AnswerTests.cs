using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Data;
using Switchboard.Data.Configurations;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Knowledge;

public static class AnswerExpectations
{
    public const string Answer = "answer";
    public const string NoAnswer = "no_answer";
}

public static class AnswerTestTriggers
{
    public const string Manual = "manual";
    public const string KnowledgeChange = "knowledge_change";
}

public static class AnswerTestRunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>A question an organization expects its bot to answer from one article, or to decline (knowledge_answer_tests).</summary>
public sealed class KnowledgeAnswerTest
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string Question { get; set; }

    /// <summary>Set to null when the article is deleted: an "answer" test without it then fails, which is the point.</summary>
    public Guid? ExpectedArticleId { get; set; }

    public string Expect { get; set; } = AnswerExpectations.Answer;
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>One run of an organization's answer tests, scored as <c>eval</c> scores (knowledge_answer_test_runs).</summary>
public sealed class KnowledgeAnswerTestRun
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public string Trigger { get; set; } = AnswerTestTriggers.Manual;
    public string Status { get; set; } = AnswerTestRunStatus.Queued;
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int Questions { get; set; }
    public double? AnswerAccuracy { get; set; }
    public double? RecallAt5 { get; set; }
    public double? Mrr { get; set; }
    public double? NoAnswerPrecision { get; set; }
    public double? NoAnswerRecall { get; set; }
    public double? OverallAccuracy { get; set; }
    public long? LatencyP50Ms { get; set; }
    public long? LatencyP95Ms { get; set; }

    /// <summary>JSON array of <see cref="AnswerTestResult"/>.</summary>
    public string Results { get; set; } = "[]";

    /// <summary>JSON array of <see cref="AnswerTestRegression"/>: passed in the previous completed run, fail now.</summary>
    public string Regressions { get; set; } = "[]";

    public string? Error { get; set; }
}

internal sealed class KnowledgeAnswerTestConfiguration(ProviderSql sql) : IEntityTypeConfiguration<KnowledgeAnswerTest>
{
    public void Configure(EntityTypeBuilder<KnowledgeAnswerTest> e)
    {
        e.ToTable("knowledge_answer_tests", t => t.HasCheckConstraint("ck_knowledge_answer_tests_expect", "expect IN ('answer', 'no_answer')"));
        e.Property<Guid>("Id").DefaultSql(sql.NewIdDefault);
        e.Property<DateTimeOffset>("CreatedAt").DefaultSql(sql.NowDefault);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<KnowledgeArticle>().WithMany().HasForeignKey(x => x.ExpectedArticleId).OnDelete(DeleteBehavior.SetNull);
        e.Property(x => x.Question).HasMaxLength(AnswerTestsApi.MaxQuestionLength);
        e.Property(x => x.Expect).HasMaxLength(20).HasDefaultValue(AnswerExpectations.Answer);
        e.HasIndex(x => x.OrganizationId);
        e.HasIndex(x => x.ExpectedArticleId);
    }
}

internal sealed class KnowledgeAnswerTestRunConfiguration(ProviderSql sql) : IEntityTypeConfiguration<KnowledgeAnswerTestRun>
{
    public void Configure(EntityTypeBuilder<KnowledgeAnswerTestRun> e)
    {
        e.ToTable("knowledge_answer_test_runs", t =>
        {
            t.HasCheckConstraint("ck_knowledge_answer_test_runs_trigger", "trigger IN ('manual', 'knowledge_change')");
            t.HasCheckConstraint("ck_knowledge_answer_test_runs_status", "status IN ('queued', 'running', 'completed', 'failed')");
        });
        e.Property<Guid>("Id").DefaultSql(sql.NewIdDefault);
        e.Property<DateTimeOffset>("CreatedAt").DefaultSql(sql.NowDefault);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.Property(x => x.Trigger).HasMaxLength(20);
        e.Property(x => x.Status).HasMaxLength(20);
        e.Property(x => x.RecallAt5).HasColumnName("recall_at_5");
        e.Property(x => x.LatencyP50Ms).HasColumnName("latency_p50_ms");
        e.Property(x => x.LatencyP95Ms).HasColumnName("latency_p95_ms");
        if (sql.JsonType is not null)
        {
            e.Property(x => x.Results).HasColumnType(sql.JsonType);
            e.Property(x => x.Regressions).HasColumnType(sql.JsonType);
        }
        e.HasIndex(x => new { x.OrganizationId, x.CreatedAt });
    }
}
