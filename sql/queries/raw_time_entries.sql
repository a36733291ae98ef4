-- The raw time entries of the client-months in `partition_keys`, in processing order.
SELECT r.*
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
ORDER BY r.client, r.month, r.entry_date, r.source_file COLLATE "C", r.source_row;
