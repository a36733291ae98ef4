-- Remove the entry_outcomes rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM entry_outcomes
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = entry_outcomes.client AND k.month = entry_outcomes.month
);
