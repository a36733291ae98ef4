-- Entry outcomes of the client-months in `partition_keys` that found no rate (person or role missing).
SELECT o.client, o.month, o.entry_id, o.reason
FROM entry_outcomes AS o JOIN partition_keys AS k ON k.client = o.client AND k.month = o.month
WHERE ',' || o.reason || ',' LIKE '%,no_rate,%'  -- `no_rate` among the comma-separated reasons
ORDER BY o.client, o.month, o.entry_id;
