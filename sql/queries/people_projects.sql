-- Who worked on what in the client-months in `partition_keys`: one row per (person, project, roles column),
-- in the order of each combination's first entry, and whether any of its entries is billable.
SELECT r.client, r.month, r.person, r.project, r.roles, bool_or(r.billable) AS billable
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
GROUP BY r.client, r.month, r.person, r.project, r.roles
ORDER BY r.client, r.month, min((r.entry_date, r.source_file, r.source_row));
