-- What each priced client-month of `partition_keys` was classified with at its close, for the entries a reviewer's
-- override decided then (an action, or its SOW item or work type) or decides now (`override_ids`, staged): approval
-- compares it with the overrides now.
SELECT c.client, c.month, c.entry_id, c.action, c.sow_item, c.work_type, c.method
FROM classified_time_entries AS c
JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
JOIN invoices AS i ON i.client = c.client AND i.month = c.month
WHERE c.action <> '' OR c.method = 'override' OR c.entry_id IN (SELECT entry_id FROM override_ids)
ORDER BY c.client, c.month, c.entry_id;
