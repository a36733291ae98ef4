-- Freeze, before a close classifies them again, the classification of the sent client-months in `partition_keys`
-- that have none frozen: sent by a release that froze only entries with a SOW item (a contract without SOW items
-- froze nothing), or before sent_entries existed. What they billed is their classification as it stands.
INSERT INTO sent_entries (client, month, entry_id, sow_item, work_type)
SELECT c.client, c.month, c.entry_id, coalesce(c.sow_item, ''), c.work_type
FROM classified_time_entries AS c
JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE NOT c.held AND c.work_type IS NOT NULL
  AND EXISTS (SELECT 1 FROM sent_invoices AS s WHERE s.client = c.client AND s.month = c.month)
  AND NOT EXISTS (SELECT 1 FROM sent_entries AS e WHERE e.client = c.client AND e.month = c.month);
