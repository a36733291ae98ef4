-- Entries of `partition_keys` that a reviewer's override decided at their last classification (it set the work
-- type or SOW item, or an action: bill, hold, write_off). The close compares them before and after its run.
SELECT c.client, c.month, c.entry_id
FROM classified_time_entries AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE c.method = 'override' OR c.action <> ''
ORDER BY c.client, c.month, c.entry_id;
