-- Remove the partition_status rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM partition_status
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = partition_status.client AND k.month = partition_status.month
);
