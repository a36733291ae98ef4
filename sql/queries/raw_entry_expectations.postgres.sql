-- The raw time entries of the client-months in `partition_keys`, shaped for the GX expectations
-- (billing_assets/expectations.py): blank text as NULL, the month of the entry date, the currency code.
-- Postgres twin of raw_entry_expectations.sql: to_char where DuckDB has strftime.
SELECT r.client, r.month, r.source_file, r.source_row, r.entry_id,
       NULLIF(trim(r.person), '') AS person,
       NULLIF(trim(r.client_name), '') AS client_name,
       to_char(r.entry_date, 'YYYY-MM') AS entry_month,
       CAST(r.hours AS VARCHAR) AS hours,
       CASE WHEN trim(r.currency) = '' THEN NULL ELSE right(trim(r.currency), 3) END AS currency_code
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month;
