-- Rows of the client-months in `partition_keys` that appear in more than one export file with the same date,
-- contract, project, task, person and hours to the hundredth (a re-exported or overlapping file would bill them
-- twice; a re-export may have switched a row to non-billable, so the flag is not compared). Not compared either:
-- the notes (a note corrected between two exports is still the same entry), the Client as written (a client
-- renamed in the time tool between two exports, both names the contract's) and the project code (a code filled
-- in since); hours to the hundredth: 1:20 in one export is 1.33 in another.
SELECT r.client, r.month, r.entry_date, r.person, min(r.hours) AS hours,
       array_agg(DISTINCT r.source_file ORDER BY r.source_file) AS files
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
GROUP BY r.client, r.month, r.entry_date, r.project, r.task, round(r.hours, 2), r.person
HAVING count(DISTINCT r.source_file) > 1
ORDER BY r.client, r.month, r.entry_date, r.person;
