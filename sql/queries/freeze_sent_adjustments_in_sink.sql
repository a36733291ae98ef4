-- The adjustments of the version: see freeze_sent_invoice_in_sink.sql.
INSERT INTO sent_adjustments (client, month, origin_month, amount, hours)
SELECT client, month, origin_month, amount, hours
FROM pushed_adjustments
WHERE client = $client AND month = $month AND content_hash = $content_hash
  AND NOT EXISTS (SELECT 1 FROM sent_adjustments AS s WHERE s.client = $client AND s.month = $month);
