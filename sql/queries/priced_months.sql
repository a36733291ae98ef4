-- Every priced client-month.
SELECT client, month FROM invoices ORDER BY client, month;
