-- Insert the staged rows (decimals arrive as exact text) into entry_outcomes.
INSERT INTO entry_outcomes (client, month, entry_id, outcome, source_hours, billed_hours, reason, reading)
SELECT
    client,
    month,
    entry_id,
    outcome,
    CAST(source_hours AS DECIMAL(28, 10)) AS source_hours,
    CAST(billed_hours AS DECIMAL(28, 10)) AS billed_hours,
    reason,
    reading
FROM staged;
