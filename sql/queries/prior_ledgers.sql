-- What month M-1 left for the client-months in `partition_keys` (prev_month = M-1): priced?, lots, cap totals.
SELECT k.client, k.month, 'invoice' AS row_kind, NULL AS name, NULL AS hours
FROM partition_keys AS k JOIN invoices AS i ON i.client = k.client AND i.month = k.prev_month
UNION ALL
SELECT k.client, k.month, 'lot', r.origin_month, r.hours_carried
FROM partition_keys AS k JOIN retainer_ledger AS r ON r.client = k.client AND r.month = k.prev_month
WHERE r.hours_carried > 0
UNION ALL
SELECT k.client, k.month, 'cap', c.cap_name, c.billed_to_date
FROM partition_keys AS k JOIN cap_ledger AS c ON c.client = k.client AND c.month = k.prev_month;
