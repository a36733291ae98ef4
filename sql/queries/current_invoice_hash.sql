-- The content hash of the client-month's current priced invoice, and its currency.
SELECT content_hash, currency FROM invoices WHERE client = $client AND month = $month;
