-- The checks of one asset that failed at the latest evaluation of the client-months in `partition_keys`.
SELECT c.client, c.month, c.check_name
FROM check_results AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE c.asset = $asset AND NOT c.passed;
