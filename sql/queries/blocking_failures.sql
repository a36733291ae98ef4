-- Why each client-month in `partition_keys` may not be pushed: a blocking check whose latest evaluation failed,
-- or priced checks that did not see the current invoice (not evaluated since the last pricing).
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
ORDER BY 1, 2, 3;
