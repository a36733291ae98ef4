-- The entry ids each client-month of `partition_keys` was last priced with (entry_outcomes: every source entry,
-- written with its invoice). Not raw_time_entries: a close that has read new exports but not priced them yet
-- would make the invoice it has not replaced look current. `reading`: what each row said beyond its id (NULL for
-- a month priced before it was kept).
SELECT o.client, o.month, o.entry_id, o.reading
FROM entry_outcomes AS o
JOIN partition_keys AS k ON k.client = o.client AND k.month = o.month
ORDER BY o.client, o.month, o.entry_id;
