-- The client-months of `partition_keys` whose sent invoice is frozen (sent_invoices).
SELECT s.client, s.month FROM sent_invoices AS s
JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month;
