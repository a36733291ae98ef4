-- Rows of the client-months in `partition_keys` that appear in more than one export file with the same date,
-- client, project, code, task, hours and person (a re-exported or overlapping file would bill them twice; the
-- notes are not compared: a note corrected between two exports is still the same entry). Only those rows come back.
SELECT r.client, r.month, r.entry_date, r.person, r.hours,
       array_agg(DISTINCT r.source_file ORDER BY r.source_file) AS files
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
GROUP BY r.client, r.month, r.entry_date, r.client_name, r.project, r.project_code, r.task, r.hours, r.person
HAVING count(DISTINCT r.source_file) > 1
ORDER BY r.client, r.month, r.entry_date, r.person;
