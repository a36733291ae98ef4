-- The days of the client-months in `partition_keys` on which one person's time entries (billable or not, every
-- export file) add up to over 24 hours, with the file and row of each entry (quality.person_days).
SELECT r.client, r.month, r.entry_date, r.person, sum(r.hours) AS hours, count(*) AS entries,
       string_agg(r.source_file || ' row ' || CAST(r.source_row AS VARCHAR), ', '
                  ORDER BY r.source_file, r.source_row) AS places
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
GROUP BY r.client, r.month, r.entry_date, r.person
HAVING sum(r.hours) > 24
ORDER BY r.client, r.month, r.entry_date, r.person;
