-- The days of the client-months in `partition_keys` on which one person's time entries add up to over 24 hours,
-- with the file and row of each entry (quality.person_days): every client's entries of that day, billable or not,
-- in every export file; an entry over 24 h alone is left out (it is held as implausible_hours already).
WITH long_days AS (
    SELECT r.month, r.person, r.entry_date, sum(r.hours) AS hours, count(*) AS entries,
           string_agg(r.source_file || ' row ' || CAST(r.source_row AS VARCHAR), ', '
                      ORDER BY r.source_file, r.source_row) AS places
    FROM raw_time_entries AS r
    WHERE r.hours <= 24 AND r.month IN (SELECT month FROM partition_keys)
    GROUP BY r.month, r.person, r.entry_date
    HAVING sum(r.hours) > 24
)
SELECT DISTINCT k.client, k.month, d.entry_date, d.person, d.hours, d.entries, d.places
FROM long_days AS d
JOIN raw_time_entries AS r ON r.month = d.month AND r.person = d.person AND r.entry_date = d.entry_date
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
ORDER BY k.client, k.month, d.entry_date, d.person;
