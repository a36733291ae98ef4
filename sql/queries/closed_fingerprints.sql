-- The fingerprint of the contract (as it applies to the month) each priced client-month of `partition_keys` was
-- last closed with: approval compares it with the contract file now.
SELECT c.client, c.month, c.fingerprint
FROM contracts AS c
JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
JOIN invoices AS i ON i.client = c.client AND i.month = c.month
ORDER BY c.client, c.month;
