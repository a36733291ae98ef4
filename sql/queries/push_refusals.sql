-- Client-months of `partition_keys` whose newest push record is a refusal (nothing was written: the target would
-- have rejected the invoice as it is set up), with the one-line reason.
SELECT p.client, p.month, p.diff AS reason
FROM invoice_pushes AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
QUALIFY row_number() OVER (PARTITION BY p.client, p.month ORDER BY p.pushed_at DESC) = 1 AND p.status = 'refused';
