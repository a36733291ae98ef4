-- Insert the staged rows (decimals arrive as exact text) into raw_time_entries.
INSERT INTO raw_time_entries (client, month, entry_id, source, source_file, source_row, entry_date, client_name, project, project_code, task, notes, hours, billable, person, roles, currency)
SELECT
    client,
    month,
    entry_id,
    source,
    source_file,
    CAST(source_row AS BIGINT) AS source_row,
    CAST(entry_date AS DATE) AS entry_date,
    client_name,
    project,
    project_code,
    task,
    notes,
    CAST(hours AS DECIMAL(28, 10)) AS hours,
    CAST(billable AS BOOLEAN) AS billable,
    person,
    roles,
    currency
FROM staged;
