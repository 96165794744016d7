-- Full-text search over knowledge passages: a generated tsvector (english) with a GIN index.
-- The column lives on knowledge_chunks, so that table's row-level security policies apply to it.
ALTER TABLE knowledge_chunks
    ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED;
CREATE INDEX ix_knowledge_chunks_search_vector ON knowledge_chunks USING GIN (search_vector);
