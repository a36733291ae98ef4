-- Postgres twin of refresh.sql (the same SELECT, select.sql, put where the placeholder is): PostgreSQL has no CREATE OR REPLACE TABLE, so the
-- table is dropped and created again in the caller's transaction, one refresh at a time (an advisory lock: two
-- closes finishing together would otherwise race on the table's name).
SELECT pg_advisory_xact_lock(hashtext('billing firm_overview'));
DROP TABLE IF EXISTS firm_overview;
CREATE TABLE firm_overview AS
{select}
