-- People (with project) who billed each client before the client-month in `partition_keys`.
SELECT DISTINCT k.client, k.month, r.person, r.project, r.month AS earlier_month
FROM partition_keys AS k
JOIN raw_time_entries AS r ON r.client = k.client AND r.month < k.month;
