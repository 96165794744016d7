using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
{
    /// <summary>
    /// knowledge_chunks keeps one row per passage and embedding model, (article_id, embedding_model, ordinal) unique,
    /// so a model change writes the new model's passages beside the old ones (docs/ai.md, "Changing the model").
    /// </summary>
    public partial class KnowledgeChunksPerModel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_knowledge_chunks_article_id_ordinal",
                table: "knowledge_chunks");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_chunks_article_id_embedding_model_ordinal",
                table: "knowledge_chunks",
                columns: new[] { "article_id", "embedding_model", "ordinal" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The old key allows one model per article: keep the rows of the model the article was last indexed with.
            migrationBuilder.Sql("""
                DELETE FROM knowledge_chunks
                WHERE NOT EXISTS (SELECT 1 FROM ai_knowledge_base a
                                  WHERE a.id = knowledge_chunks.article_id AND a.embedding_model = knowledge_chunks.embedding_model);
                """);
            migrationBuilder.DropIndex(
                name: "ix_knowledge_chunks_article_id_embedding_model_ordinal",
                table: "knowledge_chunks");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_chunks_article_id_ordinal",
                table: "knowledge_chunks",
                columns: new[] { "article_id", "ordinal" },
                unique: true);
        }
    }
}
