-- The newest push record of one client-month, conflicts included (a person's edit in QuickBooks).
SELECT status, doc_number FROM invoice_pushes
WHERE client = $client AND month = $month
ORDER BY pushed_at DESC
LIMIT 1;
