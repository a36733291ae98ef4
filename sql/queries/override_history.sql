-- Entries a reviewer labelled (override rows with a SOW item or work type): the firm's own history.
SELECT r.client, r.month, r.notes, r.person, r.project, r.task, r.entry_id
FROM raw_time_entries AS r
WHERE r.entry_id IN (SELECT entry_id FROM override_ids)
ORDER BY r.client, r.month, r.entry_date, r.source_file COLLATE "C", r.source_row;
