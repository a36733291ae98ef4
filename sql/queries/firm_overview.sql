-- The firm overview rows, newest month first.
SELECT client, month, status, total, currency, hours_billed, hours_held, sink, doc_number, sent_total, sink_total,
       sink_tax, detail, engagement
FROM firm_overview ORDER BY month DESC, client;
