-- Hours to DECIMAL(28, 10) in a warehouse written by an earlier release (run when hours_to_widen.sql finds one
-- column left): a duration in seconds is then hours to 1e-10, so a line's amount is what its exact hours give.
-- Values already stored keep their four decimals; a month closed again is read from its source at full precision.
-- The view reads invoices.hours_billed (PostgreSQL refuses to retype a column a view uses): dropped here and
-- created again by tables.sql, which runs once more after this file.
DROP VIEW IF EXISTS stale_invoices;
ALTER TABLE raw_time_entries ALTER COLUMN hours TYPE DECIMAL(28, 10);
ALTER TABLE review_queue ALTER COLUMN hours TYPE DECIMAL(28, 10);
ALTER TABLE invoice_lines ALTER COLUMN quantity TYPE DECIMAL(28, 10);
ALTER TABLE invoices ALTER COLUMN hours_billed TYPE DECIMAL(28, 10);
ALTER TABLE invoices ALTER COLUMN hours_covered TYPE DECIMAL(28, 10);
ALTER TABLE invoices ALTER COLUMN hours_held TYPE DECIMAL(28, 10);
ALTER TABLE line_entries ALTER COLUMN hours TYPE DECIMAL(28, 10);
ALTER TABLE retainer_ledger ALTER COLUMN hours_available TYPE DECIMAL(28, 10);
ALTER TABLE retainer_ledger ALTER COLUMN hours_used TYPE DECIMAL(28, 10);
ALTER TABLE retainer_ledger ALTER COLUMN hours_expired TYPE DECIMAL(28, 10);
ALTER TABLE retainer_ledger ALTER COLUMN hours_carried TYPE DECIMAL(28, 10);
ALTER TABLE entry_outcomes ALTER COLUMN source_hours TYPE DECIMAL(28, 10);
ALTER TABLE entry_outcomes ALTER COLUMN billed_hours TYPE DECIMAL(28, 10);
ALTER TABLE period_adjustments ALTER COLUMN hours TYPE DECIMAL(28, 10);
ALTER TABLE sent_invoices ALTER COLUMN hours_billed TYPE DECIMAL(28, 10);
ALTER TABLE sent_adjustments ALTER COLUMN hours TYPE DECIMAL(28, 10);
