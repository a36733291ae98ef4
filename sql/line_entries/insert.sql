-- Insert the staged rows (decimals arrive as exact text) into line_entries.
INSERT INTO line_entries (client, month, line_no, entry_id, hours)
SELECT
    client,
    month,
    CAST(line_no AS INTEGER) AS line_no,
    entry_id,
    CAST(hours AS DECIMAL(28, 10)) AS hours
FROM staged;
