-- Blocking checks whose latest evaluation failed, for the client-months in `partition_keys`.
SELECT c.client, c.month, c.asset, c.check_name, c.message
FROM check_results AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE c.blocking AND NOT c.passed
ORDER BY c.client, c.month, c.asset, c.check_name;
