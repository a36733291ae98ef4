-- The client-months whose raw time entries hold the ids in `changed_entries` (where a moved entry was billed).
SELECT DISTINCT r.entry_id, r.client, r.month
FROM raw_time_entries AS r
JOIN changed_entries AS c ON c.entry_id = r.entry_id;
