-- The month each priced client-month was priced from (its month-1, when its price depends on month-1's ledgers).
SELECT client, month, split_part(priced_from, '|', 1) AS prior_month
FROM invoices
WHERE coalesce(priced_from, '') <> ''
ORDER BY client, month;
