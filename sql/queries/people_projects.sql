-- Who worked on what in the client-months in `partition_keys`: one row per (person, project, roles column),
-- in the order of each combination's first entry, and whether any of its entries is billable.
SELECT client, month, person, project, roles, bool_or(billable) AS billable
FROM (
    SELECT r.client, r.month, r.person, r.project, r.roles, r.billable,
           row_number() OVER (PARTITION BY r.client, r.month
                              ORDER BY r.entry_date, r.source_file COLLATE "C", r.source_row) AS position
    FROM raw_time_entries AS r
    JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
) AS entries
GROUP BY client, month, person, project, roles
ORDER BY client, month, min(position);
