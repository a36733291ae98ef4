-- The first month each client was priced (a client's billing history starts there).
SELECT client, min(month) AS first_month FROM invoices GROUP BY client;
