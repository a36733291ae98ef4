-- Freeze a draft a person sent in the sink itself (QuickBooks), not through approval: what the client received is
-- the version of `content_hash` we last pushed, as pushed_invoices kept it. Once per client-month, as an approval's
-- snapshot (snapshot_sent_invoice.sql); the next unsent month then carries what the month prices otherwise.
INSERT INTO sent_invoices (client, month, total, hours_billed, content_hash, approved_by, sent_at, currency)
SELECT p.client, p.month, p.total, p.hours_billed, p.content_hash, CAST($approved_by AS VARCHAR), now(),
       (SELECT i.currency FROM invoices AS i WHERE i.client = p.client AND i.month = p.month)
FROM pushed_invoices AS p
WHERE p.client = $client AND p.month = $month AND p.content_hash = $content_hash
  AND NOT EXISTS (SELECT 1 FROM sent_invoices AS s WHERE s.client = $client AND s.month = $month);
