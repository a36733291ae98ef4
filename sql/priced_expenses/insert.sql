-- Insert the staged rows into priced_expenses.
INSERT INTO priced_expenses (client, month, expense_id, reading)
SELECT client, month, expense_id, reading
FROM staged;
