-- PostgreSQL only: an index on (client, month) of every table keyed by client-month, so deleting and reading a
-- few client-months does not scan the whole table (DuckDB's zone maps do that job in the DuckDB file).
CREATE INDEX IF NOT EXISTS contracts_client_month ON contracts (client, month);
CREATE INDEX IF NOT EXISTS raw_time_entries_client_month ON raw_time_entries (client, month);
CREATE INDEX IF NOT EXISTS raw_expenses_client_month ON raw_expenses (client, month);
CREATE INDEX IF NOT EXISTS classified_time_entries_client_month ON classified_time_entries (client, month);
CREATE INDEX IF NOT EXISTS classifier_usage_client_month ON classifier_usage (client, month);
CREATE INDEX IF NOT EXISTS review_queue_client_month ON review_queue (client, month);
CREATE INDEX IF NOT EXISTS invoice_lines_client_month ON invoice_lines (client, month);
CREATE INDEX IF NOT EXISTS invoices_client_month ON invoices (client, month);
CREATE INDEX IF NOT EXISTS line_entries_client_month ON line_entries (client, month);
CREATE INDEX IF NOT EXISTS retainer_ledger_client_month ON retainer_ledger (client, month);
CREATE INDEX IF NOT EXISTS cap_ledger_client_month ON cap_ledger (client, month);
CREATE INDEX IF NOT EXISTS entry_outcomes_client_month ON entry_outcomes (client, month);
CREATE INDEX IF NOT EXISTS priced_expenses_client_month ON priced_expenses (client, month);
CREATE INDEX IF NOT EXISTS invoice_pushes_client_month ON invoice_pushes (client, month);
CREATE INDEX IF NOT EXISTS check_results_client_month ON check_results (client, month);
CREATE INDEX IF NOT EXISTS period_adjustments_client_month ON period_adjustments (client, month);
CREATE INDEX IF NOT EXISTS sent_invoices_client_month ON sent_invoices (client, month);
CREATE INDEX IF NOT EXISTS sent_adjustments_client_month ON sent_adjustments (client, month);
CREATE INDEX IF NOT EXISTS sent_entries_client_month ON sent_entries (client, month);
CREATE INDEX IF NOT EXISTS partition_status_client_month ON partition_status (client, month);
CREATE INDEX IF NOT EXISTS pricing_problems_client_month ON pricing_problems (client, month);
