-- The newest non-conflict push record of each client-month in `partition_keys`, whichever sink it went to
-- (approval sends it where it was pushed).
SELECT client, month, sink, content_hash, external_id, sync_token, status, doc_number, sink_total, sink_tax
FROM (
    SELECT p.client, p.month, p.sink, p.content_hash, p.external_id, p.sync_token, p.status, p.doc_number,
           p.sink_total, p.sink_tax,
           row_number() OVER (PARTITION BY p.client, p.month ORDER BY p.pushed_at DESC) AS newest
    FROM invoice_pushes AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
    WHERE p.status NOT LIKE 'conflict%'
) AS pushes
WHERE newest = 1;
