-- The firm overview rows, newest month first.
SELECT client, month, status, total, currency, hours_billed, hours_held, sink, doc_number, sent_total, sent_hours,
       carried_total, sent_after, sink_total, sink_tax, detail, engagement
FROM firm_overview ORDER BY month DESC, client;
