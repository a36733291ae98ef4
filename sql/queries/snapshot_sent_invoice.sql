-- Freeze what the client received for one client-month: its totals and the adjustments it carried.
-- Runs once per client-month (the first send); `content_hash` must be the pushed version.
INSERT INTO sent_invoices (client, month, total, hours_billed, content_hash, approved_by, sent_at, currency)
SELECT client, month, total, hours_billed, content_hash, $approved_by, now(), currency
FROM invoices
WHERE client = $client AND month = $month AND content_hash = $content_hash
  AND NOT EXISTS (SELECT 1 FROM sent_invoices AS s WHERE s.client = $client AND s.month = $month);
