-- For the client-months in `partition_keys`: every earlier sent month of the client with what was sent, what it
-- is now, and what later sent months already carried for it; plus each partition's own frozen adjustments.
SELECT k.client, k.month, 'origin' AS row_kind, s.month AS origin_month, s.total AS sent_total,
       s.hours_billed AS sent_hours, i.total AS current_total, i.hours_billed AS current_hours,
       (SELECT coalesce(sum(a.amount), 0) FROM sent_adjustments AS a
        WHERE a.client = k.client AND a.origin_month = s.month AND a.month < k.month) AS carried_amount,
       (SELECT coalesce(sum(a.hours), 0) FROM sent_adjustments AS a
        WHERE a.client = k.client AND a.origin_month = s.month AND a.month < k.month) AS carried_hours,
       (SELECT array_agg(x.month ORDER BY x.month) FROM sent_invoices AS x
        WHERE x.client = k.client AND x.month > s.month AND x.month < k.month) AS sent_between
FROM partition_keys AS k
JOIN sent_invoices AS s ON s.client = k.client AND s.month < k.month
JOIN invoices AS i ON i.client = s.client AND i.month = s.month
UNION ALL
SELECT k.client, k.month, 'frozen', a.origin_month, NULL, NULL, NULL, NULL, a.amount, a.hours, NULL
FROM partition_keys AS k
JOIN sent_adjustments AS a ON a.client = k.client AND a.month = k.month
UNION ALL
SELECT k.client, k.month, 'sent', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM partition_keys AS k
JOIN sent_invoices AS s ON s.client = k.client AND s.month = k.month;
