namespace Switchboard.Features.Knowledge;

/// <summary>
/// One passage of an article with its embedding: what retrieval searches and what the extractive
/// answerer quotes. <see cref="OrganizationId"/> is copied from the article so that filters and
/// row-level security need no join.
/// </summary>
public sealed class KnowledgeChunk
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ArticleId { get; set; }
    public Guid? OrganizationId { get; set; }

    /// <summary>Position of the passage in the article, from 0.</summary>
    public int Ordinal { get; set; }

    /// <summary>The passage as embedded, searched and quoted: its heading path on the first line when it has one, then its text.</summary>
    public required string Text { get; set; }

    /// <summary>The heading path of the section the passage is in ("Returns › Refund timing"); null outside any section.</summary>
    public string? Heading { get; set; }
    public required float[] Embedding { get; set; }
    public required string EmbeddingModel { get; set; }

    /// <summary>SHA-256 of the model name and the embedded text (heading path included): equal hash, same embedding, no need to embed again.</summary>
    public required string ContentHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    public KnowledgeArticle? Article { get; set; }
}
