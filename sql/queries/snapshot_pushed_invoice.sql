-- Keep what one pushed draft version is (the invoice of `content_hash` and the adjustments it carries), once per
-- version: a person may send it in QuickBooks after its month was priced again (see freeze_sent_in_sink.sql).
INSERT INTO pushed_invoices (client, month, content_hash, total, hours_billed)
SELECT client, month, content_hash, total, hours_billed
FROM invoices
WHERE client = $client AND month = $month AND content_hash = $content_hash
  AND NOT EXISTS (SELECT 1 FROM pushed_invoices AS p
                  WHERE p.client = $client AND p.month = $month AND p.content_hash = $content_hash);
