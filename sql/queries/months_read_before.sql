-- How many client-months earlier closes read time entries of (a folder with no export file at all while this is
-- above 0 is a folder missing here, not a firm without time).
SELECT count(*) AS client_months FROM (SELECT DISTINCT client, month FROM raw_time_entries) AS read_before;
