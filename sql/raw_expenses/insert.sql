-- Insert the staged rows (decimals arrive as exact text) into raw_expenses.
INSERT INTO raw_expenses (client, month, expense_id, source_file, source_row, expense_date, client_name, project, project_code, category, notes, amount, billable, person, currency)
SELECT
    client,
    month,
    expense_id,
    source_file,
    CAST(source_row AS BIGINT) AS source_row,
    CAST(expense_date AS DATE) AS expense_date,
    client_name,
    project,
    project_code,
    category,
    notes,
    CAST(amount AS DECIMAL(18, 4)) AS amount,
    CAST(billable AS BOOLEAN) AS billable,
    person,
    currency
FROM staged;
