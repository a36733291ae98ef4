-- Freeze the adjustments the sent client-month carried (once, at its first send).
INSERT INTO sent_adjustments (client, month, origin_month, amount, hours)
SELECT client, month, origin_month, amount, hours FROM period_adjustments
WHERE client = $client AND month = $month
  AND NOT EXISTS (SELECT 1 FROM sent_adjustments AS s WHERE s.client = $client AND s.month = $month);
