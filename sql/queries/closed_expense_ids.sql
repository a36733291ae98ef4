-- The expense ids each client-month of `partition_keys` was last closed with (its raw expenses).
SELECT x.client, x.month, x.expense_id
FROM raw_expenses AS x
JOIN partition_keys AS k ON k.client = x.client AND k.month = x.month
ORDER BY x.client, x.month, x.expense_id;
