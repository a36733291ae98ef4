-- The adjustments each version in `pushed_keys` carries: see snapshot_pushed_invoice.sql (run after it: a version
-- kept there and not yet here).
INSERT INTO pushed_adjustments (client, month, content_hash, origin_month, amount, hours)
SELECT a.client, a.month, k.content_hash, a.origin_month, a.amount, a.hours
FROM period_adjustments AS a
JOIN (SELECT DISTINCT client, month, content_hash FROM pushed_keys) AS k ON k.client = a.client AND k.month = a.month
WHERE EXISTS (SELECT 1 FROM invoices AS i
              WHERE i.client = k.client AND i.month = k.month AND i.content_hash = k.content_hash)
  AND NOT EXISTS (SELECT 1 FROM pushed_adjustments AS p
                  WHERE p.client = k.client AND p.month = k.month AND p.content_hash = k.content_hash);
