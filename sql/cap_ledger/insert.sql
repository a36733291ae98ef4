-- Insert the staged rows (decimals arrive as exact text) into cap_ledger.
INSERT INTO cap_ledger (client, month, cap_name, charges, adjustment, billed_to_date)
SELECT
    client,
    month,
    cap_name,
    CAST(charges AS DECIMAL(18, 4)) AS charges,
    CAST(adjustment AS DECIMAL(18, 4)) AS adjustment,
    CAST(billed_to_date AS DECIMAL(18, 4)) AS billed_to_date
FROM staged;
