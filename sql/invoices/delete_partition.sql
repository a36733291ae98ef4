-- Remove the invoices rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM invoices
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = invoices.client AND k.month = invoices.month
);
