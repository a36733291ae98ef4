-- Forget the latest check results of one asset for the client-months in `partition_keys` (the newest
-- evaluation replaces the previous one; Dagster keeps the full history of evaluations).
DELETE FROM check_results
WHERE asset = $asset AND EXISTS (
    SELECT 1 FROM partition_keys AS k WHERE k.client = check_results.client AND k.month = check_results.month
);
