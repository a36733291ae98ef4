-- What pricing reads of each classified entry, for the client-months in `partition_keys`, in processing order.
-- File names sort by code point (COLLATE "C") on every warehouse: a PostgreSQL database with a linguistic collation
-- (RDS's en_US.UTF-8) put a_designer.csv before B_developer.csv, and the retainer went to other hours.
SELECT r.client, r.month, r.entry_id, r.project, r.person, r.roles, r.hours, c.work_type, c.sow_item, c.held,
       c.action, c.review_reasons, r.source_file, r.source_row, r.billable, r.currency
FROM raw_time_entries AS r
JOIN partition_keys AS k ON k.client = r.client AND k.month = r.month
JOIN classified_time_entries AS c ON c.client = r.client AND c.month = r.month AND c.entry_id = r.entry_id
ORDER BY r.client, r.month, r.entry_date, r.source_file COLLATE "C", r.source_row;
