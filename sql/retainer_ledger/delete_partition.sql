-- Remove the retainer_ledger rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM retainer_ledger
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = retainer_ledger.client AND k.month = retainer_ledger.month
);
