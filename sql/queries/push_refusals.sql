-- Client-months of `partition_keys` whose newest push record is a refusal (nothing was written: the target would
-- have rejected the invoice as it is set up), with the one-line reason.
SELECT client, month, diff AS reason FROM (
    SELECT p.client, p.month, p.status, p.diff,
           row_number() OVER (PARTITION BY p.client, p.month ORDER BY p.pushed_at DESC) AS newest
    FROM invoice_pushes AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
) AS pushes
WHERE newest = 1 AND status = 'refused'
ORDER BY client, month;
