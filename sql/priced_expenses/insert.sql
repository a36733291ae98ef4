-- Insert the staged rows into priced_expenses.
INSERT INTO priced_expenses (client, month, expense_id)
SELECT client, month, expense_id
FROM staged;
