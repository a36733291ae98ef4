-- Invoices (with the hours held off them for review) and their lines, of the client-months in `partition_keys`.
SELECT 'invoice' AS row_kind, i.client, i.month, NULL AS line_no, NULL AS kind, NULL AS description,
       NULL AS sow_item, NULL AS project, NULL AS role, NULL AS work_type, NULL AS quantity, NULL AS unit_price,
       i.total AS amount, i.content_hash, i.status, i.hours_held
FROM invoices AS i JOIN partition_keys AS k ON k.client = i.client AND k.month = i.month
UNION ALL
SELECT 'line', l.client, l.month, l.line_no, l.kind, l.description, l.sow_item, l.project, l.role, l.work_type,
       l.quantity, l.unit_price, l.amount, NULL, NULL, NULL
FROM invoice_lines AS l JOIN partition_keys AS k ON k.client = l.client AND k.month = l.month
ORDER BY client, month, row_kind, line_no;
