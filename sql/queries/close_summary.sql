-- One row per priced client-month in `partition_keys`, with the newest push.
SELECT i.client, i.month, i.currency, i.total, i.hours_billed, i.hours_covered, i.hours_held, i.status,
       p.status AS push_status, p.doc_number
FROM invoices AS i
JOIN partition_keys AS k ON k.client = i.client AND k.month = i.month
LEFT JOIN (
    SELECT client, month, status, doc_number,
           row_number() OVER (PARTITION BY client, month ORDER BY pushed_at DESC) AS newest
    FROM invoice_pushes
) AS p ON p.client = i.client AND p.month = i.month AND p.newest = 1
ORDER BY i.client, i.month;
