-- Insert the staged rows (decimals arrive as exact text) into contracts.
INSERT INTO contracts (client, month, name, aliases, currency, terms_days, fingerprint, sow_version, contract_json, source_file)
SELECT
    client,
    month,
    name,
    aliases,
    currency,
    CAST(terms_days AS INTEGER) AS terms_days,
    fingerprint,
    sow_version,
    contract_json,
    source_file
FROM staged;
