-- The raw expenses of the client-months in `partition_keys`, in processing order.
SELECT x.*
FROM raw_expenses AS x
JOIN partition_keys AS k ON k.client = x.client AND k.month = x.month
ORDER BY x.client, x.month, x.expense_date, x.source_file COLLATE "C", x.source_row;
