-- The firm overview: one row per client-month the closes have seen, with what a finance person needs first.
-- status: outside engagement | blocked: <check> | sent | pushed, needs review (a draft is out while held hours
--         wait: they are not on it) | pushed | conflict: <status> | refused | nothing to bill | needs review | ready.
--         The SELECT of the table, rebuilt at the end of every push step by refresh.sql (refresh.postgres.sql on
--         PostgreSQL).
WITH ranked_pushes AS (
    SELECT client, month, sink, status, doc_number, content_hash, location,
           row_number() OVER (PARTITION BY client, month ORDER BY pushed_at DESC) AS newest
    FROM invoice_pushes
), latest_push AS (
    SELECT client, month, sink, status, doc_number, content_hash, location FROM ranked_pushes WHERE newest = 1
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
           WHEN s.state = 'outside' THEN 'outside engagement'
           WHEN s.state = 'blocked' THEN 'blocked: ' || s.check_name
           WHEN pr.problem IS NOT NULL THEN 'blocked: pricing'
           WHEN i.client IS NULL THEN 'not priced'
           WHEN f.checks IS NOT NULL THEN 'blocked: ' || f.checks
           WHEN p.status = 'sent' THEN 'sent'
           WHEN p.status LIKE 'conflict%' THEN p.status
           WHEN p.status = 'refused' THEN 'refused'
           WHEN coalesce(l.lines, 0) = 0 AND i.total = 0 THEN 'nothing to bill'
           WHEN p.content_hash = i.content_hash AND i.hours_held > 0 THEN 'pushed, needs review'
           WHEN p.content_hash = i.content_hash THEN 'pushed'
           WHEN i.hours_held > 0 THEN 'needs review'
           ELSE 'ready'
       END AS status,
       i.total, i.currency, i.hours_billed, i.hours_held, p.sink, p.doc_number,
       coalesce(nullif(s.problems, ''), pr.problem, f.checks, '') AS detail,
       s.engagement
FROM partition_status AS s
LEFT JOIN invoices AS i ON i.client = s.client AND i.month = s.month AND s.state = 'active'
LEFT JOIN latest_push AS p ON p.client = s.client AND p.month = s.month
LEFT JOIN failed_checks AS f ON f.client = s.client AND f.month = s.month
LEFT JOIN pricing AS pr ON pr.client = s.client AND pr.month = s.month
LEFT JOIN line_counts AS l ON l.client = s.client AND l.month = s.month
ORDER BY s.month DESC, s.client;
