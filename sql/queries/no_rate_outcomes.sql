-- Entry outcomes of the client-months in `partition_keys` that found no rate (person or role missing), with the
-- export row, person and roles each came from.
SELECT o.client, o.month, o.entry_id, o.reason, r.source_file, r.source_row, r.person, r.roles
FROM entry_outcomes AS o JOIN partition_keys AS k ON k.client = o.client AND k.month = o.month
LEFT JOIN raw_time_entries AS r ON r.client = o.client AND r.month = o.month AND r.entry_id = o.entry_id
WHERE ',' || o.reason || ',' LIKE '%,no_rate,%'  -- `no_rate` among the comma-separated reasons
ORDER BY o.client, o.month, r.source_file, r.source_row, o.entry_id;
