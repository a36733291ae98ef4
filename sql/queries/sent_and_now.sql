-- The sent client-months of `partition_keys` whose invoice now prices otherwise than what was sent, with what later
-- sent months already carried for them and which later months were sent.
SELECT s.client, s.month, s.total AS sent_total, i.total AS current_total, s.hours_billed AS sent_hours,
       i.hours_billed AS current_hours,
       (SELECT coalesce(sum(a.amount), 0) FROM sent_adjustments AS a
        WHERE a.client = s.client AND a.origin_month = s.month) AS carried_amount,
       (SELECT coalesce(sum(a.hours), 0) FROM sent_adjustments AS a
        WHERE a.client = s.client AND a.origin_month = s.month) AS carried_hours,
       (SELECT array_agg(x.month ORDER BY x.month) FROM sent_invoices AS x
        WHERE x.client = s.client AND x.month > s.month) AS sent_after
FROM sent_invoices AS s
JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month
JOIN invoices AS i ON i.client = s.client AND i.month = s.month
WHERE i.total <> s.total OR i.hours_billed <> s.hours_billed
ORDER BY s.client, s.month;
