-- The priced invoices of the client-months in `partition_keys`.
SELECT i.* FROM invoices AS i JOIN partition_keys AS k ON k.client = i.client AND k.month = i.month
ORDER BY i.client, i.month;
