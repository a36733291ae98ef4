-- The raw time entries of the client-months in `partition_keys` whose rows come from more than one export file:
-- quality.reexported_rows looks there for a file exported again with edits (the same day, person and note; the
-- billable flag, or else the hours).
SELECT r.client, r.month, r.source_file, r.entry_id, r.entry_date, r.person, r.project, r.hours, r.notes,
       r.billable
FROM raw_time_entries AS r
JOIN (SELECT e.client, e.month
      FROM raw_time_entries AS e
      JOIN partition_keys AS k ON k.client = e.client AND k.month = e.month
      GROUP BY e.client, e.month
      HAVING count(DISTINCT e.source_file) > 1) AS m ON m.client = r.client AND m.month = r.month
ORDER BY r.client, r.month, r.source_file, r.source_row;
