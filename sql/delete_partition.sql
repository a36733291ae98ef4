-- Remove the rows of `{table}` for the client-months listed in `partition_keys` (client, month): the first half
-- of replacing a partition in one transaction. `{table}` is one of the warehouse's own tables (checked in
-- resources/warehouse.py), never input. A table with its own rule keeps `sql/<table>/delete_partition.sql`.
DELETE FROM {table}
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = {table}.client AND k.month = {table}.month
);
