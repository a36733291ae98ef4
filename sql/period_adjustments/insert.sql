-- Insert the staged rows (decimals arrive as exact text) into period_adjustments.
INSERT INTO period_adjustments (client, month, origin_month, amount, hours)
SELECT client, month, origin_month, CAST(amount AS DECIMAL(18, 4)), CAST(hours AS DECIMAL(28, 10))
FROM staged;
