-- Each entry of `partition_keys` as its last classification left it, without a reviewer's decision: held or not,
-- and the SOW item and work type it is billed under. The close compares them before and after its run.
SELECT c.client, c.month, c.entry_id, c.held, c.sow_item, c.work_type
FROM classified_time_entries AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE c.method <> 'override' AND c.action = ''
ORDER BY c.client, c.month, c.entry_id;
