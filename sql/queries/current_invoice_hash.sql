-- The content hash of the client-month's current priced invoice.
SELECT content_hash FROM invoices WHERE client = $client AND month = $month;
