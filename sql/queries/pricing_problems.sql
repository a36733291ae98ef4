-- Pricing problems of the client-months in `partition_keys`.
SELECT p.client, p.month, p.problem
FROM pricing_problems AS p JOIN partition_keys AS k ON k.client = p.client AND k.month = p.month
ORDER BY 1, 2, 3;
