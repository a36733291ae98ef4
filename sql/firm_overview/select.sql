-- The firm overview: one row per client-month the closes have seen, with what a finance person needs first.
-- status: outside engagement | blocked: <check> (either "sent; now ..." when an invoice was sent for the month, or
--         "...; its pushed draft <doc> stays" when one was pushed: the month's invoice rows are gone, the client's
--         invoice is not) | sent | sent; changed since (priced otherwise since it was sent) | blocked: <month> is blocked
--         (priced from the ledgers of a blocked month: view blocked_upstream) | blocked: billed to another client
--         (view billed_elsewhere) | stale: <month> priced again since (priced from ledgers
--         month-1 no longer leaves; "(its late change to carry)": a sent month it carries changed) | pushed, needs review (a draft is out while held hours wait: they are not on
--         it) | pushed | conflict_sent | conflict_edited | conflict_deleted (our draft deleted in QuickBooks: the
--         detail says how to draft it again) | refused | nothing to bill | priced again; its pushed draft <doc> is
--         out of date (the pricing alone materialized since the push) | needs review | ready.
--         sink_total / sink_tax: what QuickBooks totals the draft out (or sent) at, tax included, and its tax.
--         sent_total / sent_hours: what the client received, when the month was sent; carried_total: what later
--         sent months carried of its late changes; sent_after: the later sent months ("2026-09,2026-10").
--         The SELECT of the table, rebuilt at the end of every pricing and push step and every approval by
--         refresh.sql (refresh.postgres.sql on PostgreSQL).
WITH ranked_pushes AS (
    SELECT client, month, sink, status, doc_number, content_hash, location, diff,
           row_number() OVER (PARTITION BY client, month ORDER BY pushed_at DESC) AS newest
    FROM invoice_pushes
), latest_push AS (
    SELECT client, month, sink, status, doc_number, content_hash, location, diff,
           status IN ('created', 'updated', 'unchanged', 'recovered') AS draft_out  -- push.DRAFT_STATUSES
    FROM ranked_pushes WHERE newest = 1
), sink_totals AS (  -- what the sink totals our latest pushed draft at, tax included (QuickBooks' TotalAmt)
    SELECT client, month, sink_total, sink_tax,
           row_number() OVER (PARTITION BY client, month ORDER BY pushed_at DESC) AS newest
    FROM invoice_pushes WHERE sink_total IS NOT NULL
), failed_checks AS (
    SELECT client, month, string_agg(asset || '.' || check_name, ', ' ORDER BY asset, check_name) AS checks
    FROM check_results WHERE blocking AND NOT passed GROUP BY client, month
), pricing AS (
    SELECT client, month, string_agg(problem, '; ') AS problem FROM pricing_problems GROUP BY client, month
), line_counts AS (
    SELECT client, month, count(*) FILTER (WHERE amount <> 0) AS lines FROM invoice_lines GROUP BY client, month
)
SELECT s.client, s.month,
       CASE
           WHEN s.state IN ('outside', 'blocked') AND (si.client IS NOT NULL OR p.status = 'sent')
               THEN 'sent; now ' || CASE WHEN s.state = 'outside' THEN 'outside engagement'
                                        ELSE 'blocked: ' || s.check_name END
           WHEN s.state IN ('outside', 'blocked') AND p.draft_out
               THEN CASE WHEN s.state = 'outside' THEN 'outside engagement' ELSE 'blocked: ' || s.check_name END
                    || '; its pushed draft ' || p.doc_number || ' stays'
           WHEN s.state = 'outside' THEN 'outside engagement'
           WHEN s.state = 'blocked' THEN 'blocked: ' || s.check_name
           WHEN pr.problem IS NOT NULL THEN 'blocked: pricing'
           WHEN i.client IS NULL THEN 'not priced'
           WHEN f.checks IS NOT NULL AND (si.client IS NOT NULL OR p.status = 'sent')
               THEN 'sent; now blocked: ' || f.checks  -- what was sent stands (it showed the blocked pricing's total)
           WHEN f.checks IS NOT NULL AND p.draft_out
               THEN 'blocked: ' || f.checks || '; its pushed draft ' || p.doc_number || ' stays'
           WHEN f.checks IS NOT NULL THEN 'blocked: ' || f.checks
           WHEN si.client IS NOT NULL AND (i.total <> si.total OR i.hours_billed <> si.hours_billed)
               THEN 'sent; changed since'  -- what was sent stays; the next unsent month carries the change
           WHEN p.status = 'sent' OR si.client IS NOT NULL THEN 'sent'
           WHEN bu.client IS NOT NULL
               THEN 'blocked: ' || bu.prior_month || ' is blocked'
                    || CASE WHEN p.draft_out THEN '; its pushed draft ' || p.doc_number || ' stays' ELSE '' END
           WHEN be.client IS NOT NULL
               THEN 'blocked: billed to another client'
                    || CASE WHEN p.draft_out THEN '; its pushed draft ' || p.doc_number || ' stays' ELSE '' END
           WHEN st.client IS NOT NULL THEN 'stale: ' || st.prior_month || ' priced again since'
                || CASE WHEN st.why = 'carry' THEN ' (its late change to carry)' ELSE '' END
           WHEN p.status LIKE 'conflict%' THEN p.status
           WHEN p.status = 'refused' THEN 'refused'
           WHEN coalesce(l.lines, 0) = 0 AND i.total = 0 THEN 'nothing to bill'
           WHEN p.content_hash = i.content_hash AND i.hours_held > 0 THEN 'pushed, needs review'
           WHEN p.content_hash = i.content_hash THEN 'pushed'
           WHEN p.draft_out THEN 'priced again; its pushed draft ' || p.doc_number || ' is out of date'
           WHEN i.hours_held > 0 THEN 'needs review'
           ELSE 'ready'
       END AS status,
       i.total, coalesce(i.currency, si.currency) AS currency, i.hours_billed, i.hours_held, p.sink, p.doc_number,
       si.total AS sent_total,
       si.hours_billed AS sent_hours,
       CASE WHEN si.client IS NOT NULL THEN
           (SELECT coalesce(sum(a.amount), 0) FROM sent_adjustments AS a
            WHERE a.client = s.client AND a.origin_month = s.month) END AS carried_total,
       CASE WHEN si.client IS NOT NULL THEN
           (SELECT string_agg(x.month, ',' ORDER BY x.month) FROM sent_invoices AS x
            WHERE x.client = s.client AND x.month > s.month) END AS sent_after,
       CASE WHEN p.draft_out OR p.status = 'sent' THEN tt.sink_total END AS sink_total,
       CASE WHEN p.draft_out OR p.status = 'sent' THEN tt.sink_tax END AS sink_tax,
       coalesce(nullif(s.problems, ''), pr.problem, f.checks,
                CASE WHEN bu.client IS NOT NULL AND si.client IS NULL AND coalesce(p.status, '') <> 'sent'
                     THEN bu.reason END,
                CASE WHEN be.client IS NOT NULL AND si.client IS NULL AND coalesce(p.status, '') <> 'sent'
                     THEN be.reason END,
                CASE WHEN st.client IS NOT NULL AND coalesce(p.status, '') <> 'sent'  -- overview.stale_reason
                     THEN CASE WHEN st.why = 'carry'
                               THEN 'priced before the sent ' || st.prior_month || ' was priced again, so it does not '
                                    || 'carry ' || st.prior_month || '''s late change as it is now'
                               ELSE 'priced from the ledgers of ' || st.prior_month || ' before it was priced again '
                                    || '(retainer lots, lifetime cap totals)' END
                          || ': close ' || CASE WHEN st.first_month < s.month THEN st.first_month || '..' ELSE '' END
                          || s.month || ' again' END,
                CASE WHEN p.status = 'conflict_deleted' THEN p.diff END,  -- the push's own words: how to draft it again
                CASE WHEN p.draft_out AND p.content_hash <> i.content_hash
                     THEN 'priced again since its draft was pushed (only the pricing was materialized?): the draft '
                          || 'does not hold this total; push it again (materialize quickbooks_draft_invoices for '
                          || 'the month, or close the month again), review it, then approve' END,
                '') AS detail,
       s.engagement
FROM partition_status AS s
LEFT JOIN invoices AS i ON i.client = s.client AND i.month = s.month AND s.state = 'active'
LEFT JOIN latest_push AS p ON p.client = s.client AND p.month = s.month
LEFT JOIN sink_totals AS tt ON tt.client = s.client AND tt.month = s.month AND tt.newest = 1
LEFT JOIN failed_checks AS f ON f.client = s.client AND f.month = s.month
LEFT JOIN pricing AS pr ON pr.client = s.client AND pr.month = s.month
LEFT JOIN line_counts AS l ON l.client = s.client AND l.month = s.month
LEFT JOIN stale_invoices AS st ON st.client = s.client AND st.month = s.month
LEFT JOIN blocked_upstream AS bu ON bu.client = s.client AND bu.month = s.month
LEFT JOIN billed_elsewhere AS be ON be.client = s.client AND be.month = s.month
LEFT JOIN sent_invoices AS si ON si.client = s.client AND si.month = s.month
-- not a client id that never was: no contract file (resources/home.py: "not found (was the client retired?)") and
-- nothing ever priced, pushed or sent (a typo in the UI's Materialize dialog made its partition; its run failed
-- naming the file, the clients sensor deleted the partition, and the overview kept its row: found by an auditor)
WHERE NOT (s.state = 'blocked' AND s.check_name = 'contract_valid'
           AND s.problems LIKE '%: not found (was the client retired?)%'
           AND NOT EXISTS (SELECT 1 FROM invoices AS x WHERE x.client = s.client)
           AND NOT EXISTS (SELECT 1 FROM invoice_pushes AS x WHERE x.client = s.client))
ORDER BY s.month DESC, s.client;
