-- Held and written-off entries of the client-months in `partition_keys`, for people to review.
SELECT r.client, r.month, r.entry_id, r.entry_date, r.person, r.project, r.notes, r.hours,
       CASE WHEN c.action = 'write_off' THEN 'written_off' ELSE c.review_reasons END AS reasons,
       c.work_type, coalesce(c.suggested_sow_item, c.sow_item) AS suggestion, c.confidence, c.rationale, c.action
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
JOIN classified_time_entries AS c ON c.client = r.client AND c.month = r.month AND c.entry_id = r.entry_id
WHERE c.held OR c.action = 'write_off'
ORDER BY r.client, r.month, r.entry_date, r.source_file COLLATE "C", r.source_row;
