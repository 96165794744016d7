DROP INDEX IF EXISTS ix_knowledge_chunks_search_vector;
ALTER TABLE knowledge_chunks DROP COLUMN IF EXISTS search_vector;
