-- Invoice lines of the client-months in `partition_keys`.
SELECT l.* FROM invoice_lines AS l JOIN partition_keys AS k ON k.client = l.client AND k.month = l.month
ORDER BY l.client, l.month, l.line_no;
