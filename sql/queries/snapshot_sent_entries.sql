-- Freeze the classification of the entries the sent client-month billed (once, at its first send): the history the
-- classifier learns from is what was approved, not what a later close makes of it. An entry of a contract without
-- SOW items is frozen with sow_item '' (its work type is what it billed).
INSERT INTO sent_entries (client, month, entry_id, sow_item, work_type)
SELECT client, month, entry_id, coalesce(sow_item, ''), work_type
FROM classified_time_entries
WHERE client = $client AND month = $month AND NOT held AND work_type IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM sent_entries AS s WHERE s.client = $client AND s.month = $month);
