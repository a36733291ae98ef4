-- The failed warnings (checks that stop nothing) of the client-months in `partition_keys`, as their latest
-- evaluation left them: what the close prints under its table, as the UI's Checks tab and the alerts say them.
SELECT c.client, c.month, c.asset, c.check_name, c.message
FROM check_results AS c
JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE NOT c.passed AND NOT c.blocking
ORDER BY c.client, c.month, c.asset, c.check_name;
