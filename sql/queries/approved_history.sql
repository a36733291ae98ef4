-- Entries of approved (sent) invoices that were billed with a SOW item, as they were sent (sent_entries): the
-- firm's own history. A month sent before sent_entries existed has its current classification.
SELECT client, month, notes, person, project, task, entry_id, sow_item, work_type
FROM (
    SELECT r.client, r.month, r.notes, r.person, r.project, r.task, r.entry_id, e.sow_item, e.work_type,
           r.entry_date, r.source_file, r.source_row
    FROM sent_entries AS e
    JOIN raw_time_entries AS r ON r.client = e.client AND r.month = e.month AND r.entry_id = e.entry_id
    WHERE e.sow_item <> ''  -- '': an entry of a contract without SOW items
    UNION ALL
    SELECT r.client, r.month, r.notes, r.person, r.project, r.task, r.entry_id, c.sow_item, c.work_type,
           r.entry_date, r.source_file, r.source_row
    FROM classified_time_entries AS c
    JOIN raw_time_entries AS r ON r.client = c.client AND r.month = c.month AND r.entry_id = c.entry_id
    JOIN sent_invoices AS s ON s.client = c.client AND s.month = c.month
    WHERE NOT c.held AND c.sow_item IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM sent_entries AS e WHERE e.client = c.client AND e.month = c.month)
) AS history
ORDER BY client, month, entry_date, source_file COLLATE "C", source_row;
