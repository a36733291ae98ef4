-- The client-months of `partition_keys` priced from the ledgers of a blocked month (view blocked_upstream), and why.
SELECT b.client, b.month, b.reason
FROM blocked_upstream AS b
JOIN partition_keys AS k ON k.client = b.client AND k.month = b.month
ORDER BY b.client, b.month;
