-- Client-months of `partition_keys` priced from ledgers month-1 no longer leaves: month-1 was priced again (or
-- removed) after them, or is itself stale, so their retainer lots or lifetime cap totals, and their invoice, are out
-- of date until they are closed again. `prior_month` is the month whose re-pricing began the chain. A month-1
-- priced before `leaves` was recorded is taken as unchanged.
WITH RECURSIVE direct AS (
    SELECT i.client, i.month, split_part(i.priced_from, '|', 1) AS prior_month
    FROM invoices AS i
    LEFT JOIN invoices AS p ON p.client = i.client AND p.month = split_part(i.priced_from, '|', 1)
    WHERE coalesce(i.priced_from, '') <> ''
      AND ((p.client IS NULL
            AND substr(i.priced_from, length(split_part(i.priced_from, '|', 1)) + 2) <> 'lots: ; caps: ')
           OR (p.leaves IS NOT NULL
               AND substr(i.priced_from, length(split_part(i.priced_from, '|', 1)) + 2) <> p.leaves))
), chain (client, month, prior_month) AS (
    SELECT client, month, prior_month FROM direct
    UNION
    SELECT i.client, i.month, c.prior_month
    FROM chain AS c
    JOIN invoices AS i ON i.client = c.client AND split_part(i.priced_from, '|', 1) = c.month
)
SELECT c.client, c.month, min(c.prior_month) AS prior_month
FROM chain AS c
JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
GROUP BY c.client, c.month
ORDER BY c.client, c.month;
