-- Remove the cap_ledger rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM cap_ledger
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = cap_ledger.client AND k.month = cap_ledger.month
);
