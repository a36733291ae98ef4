-- What the client received for each sent client-month in `partition_keys` (frozen by `billing approve`): its total,
-- hours and content hash, who approved it and when, and the DocNumber that version was pushed (and sent) under.
SELECT s.client, s.month, s.total, s.hours_billed, s.content_hash, s.approved_by, s.sent_at,
       s.currency,
       (SELECT max(p.doc_number) FROM invoice_pushes AS p
        WHERE p.client = s.client AND p.month = s.month AND p.content_hash = s.content_hash) AS doc_number
FROM sent_invoices AS s
JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
ORDER BY s.client, s.month;
