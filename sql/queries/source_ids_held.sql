-- The source ids the warehouse holds for the client-months in `partition_keys`: time entries as stored, expenses
-- prefixed "expense:" (as the late-entries sensor names them; a tool numbers the two apart).
SELECT r.client, r.month, r.entry_id AS source_id
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
UNION ALL
SELECT x.client, x.month, 'expense:' || x.expense_id AS source_id
FROM raw_expenses AS x
JOIN partition_keys AS k ON k.client = x.client AND k.month = x.month;
