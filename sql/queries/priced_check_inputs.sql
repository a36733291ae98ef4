-- Per client-month in `partition_keys`: invoice totals, raw hours and the retainer hours covered before the 20th.
SELECT i.client, i.month, i.total, i.hours_billed, i.hours_covered, i.content_hash,
       (SELECT coalesce(sum(r.hours), 0) FROM raw_time_entries AS r
        WHERE r.client = i.client AND r.month = i.month) AS source_hours,
       (SELECT coalesce(sum(le.hours), 0)
        FROM line_entries AS le
        JOIN invoice_lines AS l ON l.client = le.client AND l.month = le.month AND l.line_no = le.line_no
        JOIN raw_time_entries AS r ON r.client = le.client AND r.month = le.month AND r.entry_id = le.entry_id
        WHERE le.client = i.client AND le.month = i.month AND l.kind = 'retainer_covered'
          AND EXTRACT(DAY FROM r.entry_date) < 20) AS covered_before_20th
FROM invoices AS i JOIN partition_keys AS k ON k.client = i.client AND k.month = i.month;
