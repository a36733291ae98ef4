-- Client-months whose source rows a deletion in the time tool could still change: every one from $since_month on
-- (the late-entries look-back; a deletion in a sent month becomes a late adjustment) and, from $oldest_month on,
-- every one not sent yet (a draft awaiting approval, however old). The sensor keeps the closed months.
SELECT DISTINCT h.client, h.month
FROM (SELECT client, month FROM raw_time_entries UNION SELECT client, month FROM raw_expenses) AS h
WHERE h.month >= $since_month
   OR (h.month >= $oldest_month
       AND NOT EXISTS (SELECT 1 FROM sent_invoices AS s WHERE s.client = h.client AND s.month = h.month))
ORDER BY h.client, h.month;
