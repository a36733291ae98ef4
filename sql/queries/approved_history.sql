-- Entries of approved (sent) invoices that were billed with a SOW item: the firm's own history.
SELECT r.client, r.month, r.notes, r.person, r.project, r.task, r.entry_id, c.sow_item, c.work_type
FROM classified_time_entries AS c
JOIN raw_time_entries AS r ON r.client = c.client AND r.month = c.month AND r.entry_id = c.entry_id
JOIN sent_invoices AS s ON s.client = c.client AND s.month = c.month
WHERE NOT c.held AND c.sow_item IS NOT NULL
ORDER BY r.client, r.month, r.entry_date, r.source_file COLLATE "C", r.source_row;
