-- The entries behind each time line of the client-months in `partition_keys` (line_entries), with the entry's
-- date, person and notes, in line order then processing order.
SELECT e.client, e.month, e.line_no, e.entry_id, e.hours, r.entry_date, r.person, r.notes
FROM line_entries AS e
JOIN partition_keys AS k ON k.client = e.client AND k.month = e.month
LEFT JOIN raw_time_entries AS r ON r.client = e.client AND r.month = e.month AND r.entry_id = e.entry_id
ORDER BY e.client, e.month, e.line_no, r.entry_date, r.source_file COLLATE "C", r.source_row, e.entry_id;
