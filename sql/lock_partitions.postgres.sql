-- PostgreSQL only (DuckDB has one writer at a time): inside a replacing transaction, wait for any other transaction
-- replacing the same client-months of `partition_keys`, in key order (no deadlock between two such waits). Without
-- it, under READ COMMITTED, two replaces of one client-month would each delete the old rows and both insert theirs.
SELECT count(pg_advisory_xact_lock(hashtext('billing partition'), hashtext(client || '|' || month)))
FROM (SELECT DISTINCT client, month FROM partition_keys ORDER BY client, month) AS keys;
