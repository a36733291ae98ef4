-- Every problem that stopped a client-month of `partition_keys`, each naming its file and key or row: its
-- recorded input problems (contract, export or override rows), a pricing problem, a failed blocking check, or a
-- push the target refused before anything was written (the newest push record).
SELECT client, month, problem FROM (
    SELECT s.client, s.month, 0 AS stage, s.problems AS problem
    FROM partition_status AS s JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
    WHERE s.state = 'blocked'
    UNION ALL
    SELECT p.client, p.month, 1 AS stage, p.problem
    FROM pricing_problems AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
    UNION ALL
    SELECT c.client, c.month, 2 AS stage, c.asset || '.' || c.check_name || ': ' || c.message AS problem
    FROM check_results AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
    WHERE c.blocking AND NOT c.passed AND c.asset <> 'contracts' AND c.check_name <> 'priceable'
    UNION ALL
    SELECT client, month, 3 AS stage, diff AS problem FROM (
        SELECT p.client, p.month, p.status, p.diff,
               row_number() OVER (PARTITION BY p.client, p.month ORDER BY p.pushed_at DESC) AS newest
        FROM invoice_pushes AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
    ) AS pushes
    WHERE newest = 1 AND status = 'refused'
) AS problems
ORDER BY client, month, stage, problem;
