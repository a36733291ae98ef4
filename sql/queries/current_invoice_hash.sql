-- The content hash of the client-month's current priced invoice, its currency and the hours it holds for review.
SELECT content_hash, currency, hours_held FROM invoices WHERE client = $client AND month = $month;
