-- Every client-month whose invoice was sent (sent_invoices).
SELECT client, month FROM sent_invoices ORDER BY client, month;
