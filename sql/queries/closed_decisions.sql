-- What each priced client-month of `partition_keys` was classified with at its close, per entry: the action,
-- SOW item and work type a reviewer's override may have decided. Approval compares it with the overrides now.
SELECT c.client, c.month, c.entry_id, c.action, c.sow_item, c.work_type, c.method
FROM classified_time_entries AS c
JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
JOIN invoices AS i ON i.client = c.client AND i.month = c.month
ORDER BY c.client, c.month, c.entry_id;
