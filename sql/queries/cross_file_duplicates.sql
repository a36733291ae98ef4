-- Rows of the client-months in `partition_keys` that appear, identical, in more than one export file
-- (a re-exported or overlapping file would bill them twice). Only the duplicated rows come back.
SELECT r.client, r.month, r.entry_date, r.person, r.hours,
       array_agg(DISTINCT r.source_file ORDER BY r.source_file) AS files
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
GROUP BY r.client, r.month, r.entry_date, r.client_name, r.project, r.project_code, r.task, r.notes, r.hours, r.person
HAVING count(DISTINCT r.source_file) > 1
ORDER BY r.client, r.month, r.entry_date, r.person;
