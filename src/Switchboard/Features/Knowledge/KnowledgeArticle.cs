namespace Switchboard.Features.Knowledge;

/// <summary>A knowledge-base article (seed table ai_knowledge_base). OrganizationId null means global knowledge.</summary>
public sealed class KnowledgeArticle
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid? OrganizationId { get; set; }
    public required string Title { get; set; }
    public required string Content { get; set; }
    public string Category { get; set; } = "general";
    public List<string>? Tags { get; set; } = [];

    /// <summary>Seed's VECTOR(1536): real[] on PostgreSQL, BLOB on SQLite (pgvector is not packaged for our machines).</summary>
    public float[]? Embeddings { get; set; }

    /// <summary>Name of the model that produced <see cref="Embeddings"/>, so a model change can re-embed.</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>Where an import found it (docs/knowledge-import.md), unique per organization; null for articles written by hand.</summary>
    public string? SourceUri { get; set; }

    /// <summary>SHA-256 of the imported title, content, category and tags: an unchanged source is not written again.</summary>
    public string? SourceHash { get; set; }

    public decimal? EffectivenessScore { get; set; } = 0;
    public int? UsageCount { get; set; } = 0;
    public bool? IsActive { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}
