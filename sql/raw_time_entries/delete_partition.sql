-- Remove the raw_time_entries rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM raw_time_entries
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = raw_time_entries.client AND k.month = raw_time_entries.month
);
