-- The adjustments of the version: see snapshot_pushed_invoice.sql.
INSERT INTO pushed_adjustments (client, month, content_hash, origin_month, amount, hours)
SELECT a.client, a.month, CAST($content_hash AS VARCHAR), a.origin_month, a.amount, a.hours
FROM period_adjustments AS a
WHERE a.client = $client AND a.month = $month
  AND EXISTS (SELECT 1 FROM invoices AS i
              WHERE i.client = $client AND i.month = $month AND i.content_hash = $content_hash)
  AND NOT EXISTS (SELECT 1 FROM pushed_adjustments AS p
                  WHERE p.client = $client AND p.month = $month AND p.content_hash = $content_hash);
