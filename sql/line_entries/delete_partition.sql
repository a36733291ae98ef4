-- Remove the line_entries rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM line_entries
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = line_entries.client AND k.month = line_entries.month
);
