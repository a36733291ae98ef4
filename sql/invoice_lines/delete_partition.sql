-- Remove the invoice_lines rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM invoice_lines
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = invoice_lines.client AND k.month = invoice_lines.month
);
