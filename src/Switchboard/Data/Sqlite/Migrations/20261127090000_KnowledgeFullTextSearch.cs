using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
{
    /// <summary>
    /// FTS5 index of knowledge passages (knowledge_chunks_fts: passage text and article title; rowid =
    /// knowledge_chunks.rowid), kept in sync by triggers. Not in the EF model: only FullTextSearch queries it,
    /// always joined back to knowledge_chunks for the organization filter.
    /// </summary>
    [DbContext(typeof(SqliteAppDbContext))]
    [Migration("20261127090000_KnowledgeFullTextSearch")]
    public partial class KnowledgeFullTextSearch : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5(text, title, tokenize = 'porter unicode61');");
            migrationBuilder.Sql("""
                CREATE TRIGGER knowledge_chunks_fts_insert AFTER INSERT ON knowledge_chunks BEGIN
                    INSERT INTO knowledge_chunks_fts(rowid, text, title)
                    VALUES (new.rowid, new.text, (SELECT title FROM ai_knowledge_base WHERE id = new.article_id));
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER knowledge_chunks_fts_delete AFTER DELETE ON knowledge_chunks BEGIN
                    DELETE FROM knowledge_chunks_fts WHERE rowid = old.rowid;
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER knowledge_chunks_fts_update AFTER UPDATE OF text, article_id ON knowledge_chunks BEGIN
                    UPDATE knowledge_chunks_fts SET text = new.text, title = (SELECT title FROM ai_knowledge_base WHERE id = new.article_id)
                    WHERE rowid = old.rowid;
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER ai_knowledge_base_fts_title AFTER UPDATE OF title ON ai_knowledge_base BEGIN
                    UPDATE knowledge_chunks_fts SET title = new.title
                    WHERE rowid IN (SELECT rowid FROM knowledge_chunks WHERE article_id = new.id);
                END;
                """);
            migrationBuilder.Sql("""
                INSERT INTO knowledge_chunks_fts(rowid, text, title)
                SELECT c.rowid, c.text, a.title FROM knowledge_chunks c JOIN ai_knowledge_base a ON a.id = c.article_id;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS ai_knowledge_base_fts_title;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS knowledge_chunks_fts_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS knowledge_chunks_fts_delete;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS knowledge_chunks_fts_insert;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS knowledge_chunks_fts;");
        }
    }
}
