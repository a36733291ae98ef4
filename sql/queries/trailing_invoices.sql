-- Invoices of the three months before each client-month in `partition_keys`.
SELECT k.client, k.month, i.month AS earlier_month, i.total, i.hours_billed, i.hours_covered
FROM partition_keys AS k
JOIN invoices AS i ON i.client = k.client AND i.month < k.month AND i.month >= k.trailing_start;
