-- Every problem that stopped a client-month of `partition_keys` before its push, each naming its file and key or
-- row: its recorded input problems (contract, export or override rows), a pricing problem, a failed blocking
-- check, an unsent month priced from a blocked month's ledgers (view blocked_upstream), or time another client's
-- sent invoice bills (view billed_elsewhere). (A push the
-- target refused is push_refusals.sql; the close summary lists it after these.)
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
    SELECT b.client, b.month, 3 AS stage, b.reason AS problem
    FROM blocked_upstream AS b JOIN partition_keys AS k ON k.client = b.client AND k.month = b.month
    WHERE NOT EXISTS (SELECT 1 FROM sent_invoices AS s WHERE s.client = b.client AND s.month = b.month)
    UNION ALL
    SELECT e.client, e.month, 4 AS stage, e.reason AS problem
    FROM billed_elsewhere AS e JOIN partition_keys AS k ON k.client = e.client AND k.month = e.month
) AS problems
ORDER BY client, month, stage, problem;
