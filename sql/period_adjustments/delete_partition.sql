-- Remove the period_adjustments rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM period_adjustments
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = period_adjustments.client AND k.month = period_adjustments.month
);
