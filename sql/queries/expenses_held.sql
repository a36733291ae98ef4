-- The client-months whose raw expenses hold the ids in `changed_entries` (where a moved expense was billed).
SELECT DISTINCT x.expense_id AS entry_id, x.client, x.month
FROM raw_expenses AS x
JOIN changed_entries AS c ON c.entry_id = x.expense_id;
