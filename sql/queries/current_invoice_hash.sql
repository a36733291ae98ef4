-- The content hash of the client-month's current priced invoice, its total and currency, and the hours it holds for
-- review.
SELECT content_hash, total, currency, hours_held FROM invoices WHERE client = $client AND month = $month;
