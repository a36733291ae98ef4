-- The client-months of `partition_keys` that are stale (the view stale_invoices, sql/schema/tables.sql), with the
-- first month to close again with each. Not those priced from a blocked month (view blocked_upstream): that month's
-- rows are gone, not priced again, and it must be fixed first (they were told to close a range pricing refuses).
SELECT s.client, s.month, s.prior_month, s.why, s.first_month
FROM stale_invoices AS s
JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
WHERE NOT EXISTS (SELECT 1 FROM blocked_upstream AS b WHERE b.client = s.client AND b.month = s.month)
ORDER BY s.client, s.month;
