-- Entries a reviewer labelled (override rows with a SOW item or work type): the firm's own history.
SELECT r.client, r.notes, r.person, r.project, r.task, r.entry_id
FROM raw_time_entries AS r
WHERE r.entry_id IN (SELECT entry_id FROM override_ids);
