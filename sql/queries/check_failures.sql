-- Every active client-month whose latest evaluation of one asset's checks failed: what the Checks tab reports
-- for the firm, whichever run evaluated it last (newest months first).
SELECT c.client, c.month, c.check_name, c.message, c.run_id
FROM check_results AS c
JOIN partition_status AS s ON s.client = c.client AND s.month = c.month AND s.state = 'active'
WHERE c.asset = $asset AND NOT c.passed
ORDER BY c.check_name, c.month DESC, c.client;
