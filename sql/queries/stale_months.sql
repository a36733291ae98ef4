-- The client-months of `partition_keys` that are stale (the view stale_invoices, sql/schema/tables.sql), with the
-- first month to close again with each.
SELECT s.client, s.month, s.prior_month, s.why, s.first_month
FROM stale_invoices AS s
JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
ORDER BY s.client, s.month;
