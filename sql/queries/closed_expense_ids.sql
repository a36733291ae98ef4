-- The expense ids each client-month of `partition_keys` was last priced with (priced_expenses, written with its
-- invoice). Not raw_expenses: a close that has read a late expense but not priced it yet would make the invoice it
-- has not replaced look current. A month priced before priced_expenses existed (an invoice with expenses and no
-- rows there) falls back to its raw expenses.
SELECT p.client, p.month, p.expense_id, p.reading
FROM priced_expenses AS p
JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
UNION ALL
SELECT x.client, x.month, x.expense_id, NULL AS reading
FROM raw_expenses AS x
JOIN partition_keys AS k ON k.client = x.client AND k.month = x.month
JOIN invoices AS i ON i.client = x.client AND i.month = x.month
WHERE i.expenses <> 0
  AND NOT EXISTS (SELECT 1 FROM priced_expenses AS p WHERE p.client = x.client AND p.month = x.month)
ORDER BY 1, 2, 3;
