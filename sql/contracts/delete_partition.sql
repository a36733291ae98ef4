-- Remove the contracts rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM contracts
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = contracts.client AND k.month = contracts.month
);
