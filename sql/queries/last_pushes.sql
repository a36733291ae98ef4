-- The newest non-conflict push record of each client-month in `partition_keys` for one sink (a conflict
-- changes nothing in QuickBooks, so the record before it still describes what is there).
SELECT client, month, content_hash, external_id, sync_token, status, doc_number
FROM (
    SELECT p.client, p.month, p.content_hash, p.external_id, p.sync_token, p.status, p.doc_number,
           row_number() OVER (PARTITION BY p.client, p.month ORDER BY p.pushed_at DESC) AS newest
    FROM invoice_pushes AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
    WHERE p.sink = $sink AND p.status NOT LIKE 'conflict%'
) AS pushes
WHERE newest = 1;
