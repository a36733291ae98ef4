-- Hours columns still at the first release's DECIMAL(18, 4) (0.0001 h per entry: ten 1:20:00 entries at 150/h
-- billed 1,999.95). Any row here makes the schema step run widen_hours.sql once, in its transaction.
SELECT table_name, column_name
FROM information_schema.columns
WHERE table_catalog = current_database()
  AND table_schema = current_schema()
  AND numeric_scale = 4
  AND (column_name IN ('hours', 'quantity', 'source_hours', 'billed_hours', 'hours_billed', 'hours_covered',
                       'hours_held', 'hours_available', 'hours_used', 'hours_expired', 'hours_carried'));
