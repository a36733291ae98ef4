-- Remove the classified_time_entries rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM classified_time_entries
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = classified_time_entries.client AND k.month = classified_time_entries.month
);
