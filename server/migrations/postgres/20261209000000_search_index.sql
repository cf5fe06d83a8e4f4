-- The moderators' search finds words anywhere in a name or a text. A LIKE '%words%' reads every
-- row to do it (a second at a million testimonials), so the lowered texts are indexed by their
-- trigrams (pg_trgm, which ships with PostgreSQL): the same LIKE then reads only the rows
-- holding the word's trigrams. The extension is trusted since PostgreSQL 13, so the database's
-- owner may create it; a user who may not is told what to ask for.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'Fanfare''s search needs the pg_trgm extension and this database user may not create it: '
        'have the database owner or a superuser run CREATE EXTENSION pg_trgm; in this database, then start Fanfare again'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE INDEX testimonials_name_trigrams ON testimonials USING gin (lower(name) gin_trgm_ops);
CREATE INDEX testimonials_body_trigrams ON testimonials USING gin (lower(body) gin_trgm_ops);
