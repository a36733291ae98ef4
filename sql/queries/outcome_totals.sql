-- Source hours of the client-months in `partition_keys` by outcome (the reconciliation of spec section 4).
SELECT o.client, o.month, o.outcome, sum(o.source_hours) AS source_hours, count(*) AS entries
FROM entry_outcomes AS o JOIN partition_keys AS k ON k.client = o.client AND k.month = o.month
GROUP BY o.client, o.month, o.outcome
ORDER BY o.client, o.month, o.outcome;
