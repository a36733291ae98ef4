-- For the client-months in `partition_keys` (approval, under their partition lock): the content hash frozen in
-- `sent_invoices` (NULL when nothing was frozen) and the newest `sent` record (its content hash and approval note,
-- NULL when never sent). A sent month with nothing frozen is repaired from the invoice of the recorded hash.
SELECT k.client, k.month, s.content_hash AS frozen_hash, p.content_hash AS sent_hash, p.diff AS sent_note
FROM (SELECT DISTINCT client, month FROM partition_keys) AS k
LEFT JOIN sent_invoices AS s ON s.client = k.client AND s.month = k.month
LEFT JOIN (
    SELECT client, month, content_hash, diff,
           row_number() OVER (PARTITION BY client, month ORDER BY pushed_at DESC) AS newest
    FROM invoice_pushes WHERE status = 'sent'
) AS p ON p.client = k.client AND p.month = k.month AND p.newest = 1;
