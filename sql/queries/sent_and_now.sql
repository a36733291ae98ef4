-- The sent client-months of `partition_keys` whose invoice now prices otherwise than what was sent.
SELECT s.client, s.month, s.total AS sent_total, i.total AS current_total, s.hours_billed AS sent_hours,
       i.hours_billed AS current_hours
FROM sent_invoices AS s
JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
JOIN invoices AS i ON i.client = s.client AND i.month = s.month
WHERE i.total <> s.total OR i.hours_billed <> s.hours_billed
ORDER BY s.client, s.month;
