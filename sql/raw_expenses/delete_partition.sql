-- Remove the raw_expenses rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM raw_expenses
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = raw_expenses.client AND k.month = raw_expenses.month
);
