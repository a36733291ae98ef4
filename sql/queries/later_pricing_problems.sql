-- The pricing problems of the clients of `partition_keys` in months after the client's first month among them
-- (the caller leaves out the keys themselves): a close of earlier months does not price them again, so a month
-- refused because the months before it needed pricing first stays refused until it is closed again.
SELECT p.client, p.month, p.problem
FROM pricing_problems AS p
JOIN (SELECT client, min(month) AS first FROM partition_keys GROUP BY client) AS k
    ON k.client = p.client AND p.month > k.first
ORDER BY 1, 2;
