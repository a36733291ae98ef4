-- Why each client-month in `partition_keys` may not be pushed: a blocking check whose latest evaluation failed,
-- priced checks that did not see the current invoice (not evaluated since the last pricing), its recorded state
-- (blocked by its inputs, or outside the engagement), a pricing problem, or an unsent month priced from the
-- ledgers of a blocked month (view blocked_upstream), or a month billing time another client's sent invoice bills
-- (view billed_elsewhere).
SELECT c.client, c.month, c.asset || '.' || c.check_name || ': ' || c.message AS reason
FROM check_results AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
WHERE c.blocking AND NOT c.passed
UNION ALL
SELECT i.client, i.month, 'priced_line_items checks have not evaluated the current invoice' AS reason
FROM invoices AS i JOIN partition_keys AS k ON k.client = i.client AND k.month = i.month
WHERE NOT EXISTS (
    SELECT 1 FROM check_results AS c
    WHERE c.client = i.client AND c.month = i.month AND c.asset = 'priced_line_items'
      AND c.check_name = 'hours_reconcile' AND c.subject_hash = i.content_hash
)
UNION ALL
SELECT s.client, s.month,
       CASE WHEN s.state = 'outside' THEN 'outside the engagement (' || s.engagement || ')'
            ELSE 'contracts.' || s.check_name || ': ' || replace(s.problems, chr(10), '; ') END AS reason
FROM partition_status AS s JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
WHERE s.state <> 'active'
  AND NOT EXISTS (SELECT 1 FROM check_results AS c WHERE c.client = s.client AND c.month = s.month
                  AND c.asset = 'contracts' AND c.blocking AND NOT c.passed)
UNION ALL
SELECT p.client, p.month, 'priced_line_items.priceable: ' || p.problem AS reason
FROM pricing_problems AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
WHERE NOT EXISTS (SELECT 1 FROM check_results AS c WHERE c.client = p.client AND c.month = p.month
                  AND c.asset = 'priced_line_items' AND c.check_name = 'priceable' AND NOT c.passed)
UNION ALL
SELECT b.client, b.month, b.reason
FROM blocked_upstream AS b JOIN partition_keys AS k ON k.client = b.client AND k.month = b.month
WHERE NOT EXISTS (SELECT 1 FROM sent_invoices AS s WHERE s.client = b.client AND s.month = b.month)
UNION ALL
SELECT e.client, e.month, e.reason
FROM billed_elsewhere AS e JOIN partition_keys AS k ON k.client = e.client AND k.month = e.month
ORDER BY 1, 2, 3;
