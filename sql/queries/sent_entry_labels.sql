-- The classification each entry of the client-months in `partition_keys` was billed with on the invoice sent for
-- its month (frozen at the first send): a later close of the month keeps it unless a reviewer decides otherwise.
SELECT s.client, s.month, s.entry_id, s.sow_item, s.work_type
FROM sent_entries AS s JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
ORDER BY s.client, s.month, s.entry_id;
