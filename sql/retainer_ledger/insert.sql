-- Insert the staged rows (decimals arrive as exact text) into retainer_ledger.
INSERT INTO retainer_ledger (client, month, origin_month, hours_available, hours_used, hours_expired, hours_carried)
SELECT
    client,
    month,
    origin_month,
    CAST(hours_available AS DECIMAL(28, 10)) AS hours_available,
    CAST(hours_used AS DECIMAL(28, 10)) AS hours_used,
    CAST(hours_expired AS DECIMAL(28, 10)) AS hours_expired,
    CAST(hours_carried AS DECIMAL(28, 10)) AS hours_carried
FROM staged;
