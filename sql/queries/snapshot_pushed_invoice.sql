-- Keep what each pushed draft version in `pushed_keys` (client, month, content_hash) is, once per version: a person
-- may send it in QuickBooks after its month was priced again (see freeze_sent_invoice_in_sink.sql). A version no
-- longer in `invoices` (priced again since) keeps nothing.
INSERT INTO pushed_invoices (client, month, content_hash, total, hours_billed)
SELECT DISTINCT i.client, i.month, i.content_hash, i.total, i.hours_billed
FROM invoices AS i
JOIN pushed_keys AS k ON k.client = i.client AND k.month = i.month AND k.content_hash = i.content_hash
WHERE NOT EXISTS (SELECT 1 FROM pushed_invoices AS p
                  WHERE p.client = i.client AND p.month = i.month AND p.content_hash = i.content_hash);
