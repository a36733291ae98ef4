-- The months in which one client has time entries, expenses or a priced invoice in the warehouse.
SELECT month FROM raw_time_entries WHERE client = $client
UNION
SELECT month FROM raw_expenses WHERE client = $client
UNION
SELECT month FROM invoices WHERE client = $client
ORDER BY month;
