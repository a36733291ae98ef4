-- Client-months of `partition_keys` priced from ledgers that month-1 no longer leaves: month-1 was priced again
-- (or removed) after them, so their retainer lots or lifetime cap totals, and their invoice, are out of date
-- until they are closed again. A month-1 priced before `leaves` was recorded is taken as unchanged.
SELECT i.client, i.month, split_part(i.priced_from, '|', 1) AS prior_month
FROM invoices AS i
JOIN partition_keys AS k ON k.client = i.client AND k.month = i.month
LEFT JOIN invoices AS p ON p.client = i.client AND p.month = split_part(i.priced_from, '|', 1)
WHERE coalesce(i.priced_from, '') <> ''
  AND ((p.client IS NULL AND substr(i.priced_from, length(split_part(i.priced_from, '|', 1)) + 2) <> 'lots: ; caps: ')
       OR (p.leaves IS NOT NULL AND substr(i.priced_from, length(split_part(i.priced_from, '|', 1)) + 2) <> p.leaves))
ORDER BY i.client, i.month;
