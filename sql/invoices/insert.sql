-- Insert the staged rows (decimals arrive as exact text) into invoices.
INSERT INTO invoices (client, month, currency, fees, discount, minimum_adjustment, expenses, total, hours_billed, hours_covered, hours_held, status, content_hash, priced_from, leaves)
SELECT
    client,
    month,
    currency,
    CAST(fees AS DECIMAL(18, 4)) AS fees,
    CAST(discount AS DECIMAL(18, 4)) AS discount,
    CAST(minimum_adjustment AS DECIMAL(18, 4)) AS minimum_adjustment,
    CAST(expenses AS DECIMAL(18, 4)) AS expenses,
    CAST(total AS DECIMAL(18, 4)) AS total,
    CAST(hours_billed AS DECIMAL(28, 10)) AS hours_billed,
    CAST(hours_covered AS DECIMAL(28, 10)) AS hours_covered,
    CAST(hours_held AS DECIMAL(28, 10)) AS hours_held,
    status,
    content_hash,
    priced_from,
    leaves
FROM staged;
