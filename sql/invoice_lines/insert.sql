-- Insert the staged rows (decimals arrive as exact text) into invoice_lines.
INSERT INTO invoice_lines (client, month, line_no, kind, description, sow_item, project, role, work_type, quantity, unit_price, amount)
SELECT
    client,
    month,
    CAST(line_no AS INTEGER) AS line_no,
    kind,
    description,
    sow_item,
    project,
    role,
    work_type,
    CAST(quantity AS DECIMAL(28, 10)) AS quantity,
    CAST(unit_price AS DECIMAL(18, 4)) AS unit_price,
    CAST(amount AS DECIMAL(18, 4)) AS amount
FROM staged;
