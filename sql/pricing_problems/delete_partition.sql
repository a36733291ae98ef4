-- Remove the pricing_problems rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM pricing_problems
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = pricing_problems.client AND k.month = pricing_problems.month
);
