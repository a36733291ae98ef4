-- Clients with a failed blocking check in any client-month of `partition_keys`.
SELECT DISTINCT c.client, c.month
FROM check_results AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE c.blocking AND NOT c.passed;
