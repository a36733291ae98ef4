-- The latest priced month of each client.
SELECT client, max(month) AS last_month FROM invoices GROUP BY client;
