-- The entry ids each client-month of `partition_keys` was last closed with (its raw time entries).
SELECT r.client, r.month, r.entry_id
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
ORDER BY r.client, r.month, r.entry_id;
