-- Every table is keyed by client and month; a partition is replaced delete-then-insert in one transaction.
CREATE TABLE IF NOT EXISTS contracts (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, name VARCHAR NOT NULL, aliases VARCHAR NOT NULL,
    currency VARCHAR NOT NULL, terms_days INTEGER NOT NULL, fingerprint VARCHAR NOT NULL,
    sow_version VARCHAR NOT NULL, contract_json VARCHAR NOT NULL, source_file VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_time_entries (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, entry_id VARCHAR NOT NULL, source VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL, source_row BIGINT NOT NULL, entry_date DATE NOT NULL, client_name VARCHAR NOT NULL,
    project VARCHAR NOT NULL, project_code VARCHAR NOT NULL, task VARCHAR NOT NULL, notes VARCHAR NOT NULL,
    hours DECIMAL(28, 10) NOT NULL, billable BOOLEAN NOT NULL, person VARCHAR NOT NULL, roles VARCHAR NOT NULL,
    currency VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_expenses (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, expense_id VARCHAR NOT NULL, source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL, expense_date DATE NOT NULL, client_name VARCHAR NOT NULL, project VARCHAR NOT NULL,
    project_code VARCHAR NOT NULL, category VARCHAR NOT NULL, notes VARCHAR NOT NULL,
    amount DECIMAL(18, 4) NOT NULL, billable BOOLEAN NOT NULL, person VARCHAR NOT NULL, currency VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS classified_time_entries (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, entry_id VARCHAR NOT NULL, work_type VARCHAR NOT NULL,
    sow_item VARCHAR, confidence DECIMAL(6, 4) NOT NULL, method VARCHAR NOT NULL, review_reasons VARCHAR NOT NULL,
    suggested_sow_item VARCHAR, action VARCHAR NOT NULL, rationale VARCHAR NOT NULL, held BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS classification_cache (
    cache_key VARCHAR PRIMARY KEY, sow_item VARCHAR, work_type VARCHAR, confidence DOUBLE PRECISION NOT NULL,
    rationale VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS classifier_usage (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, classifier VARCHAR NOT NULL, requests INTEGER NOT NULL,
    input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL, cache_creation_input_tokens BIGINT NOT NULL,
    cache_read_input_tokens BIGINT NOT NULL, cost_usd DECIMAL(18, 6) NOT NULL, cached_answers INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS review_queue (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, entry_id VARCHAR NOT NULL, entry_date DATE NOT NULL,
    person VARCHAR NOT NULL, project VARCHAR NOT NULL, notes VARCHAR NOT NULL, hours DECIMAL(28, 10) NOT NULL,
    reasons VARCHAR NOT NULL, work_type VARCHAR NOT NULL, suggestion VARCHAR, confidence DECIMAL(6, 4) NOT NULL,
    rationale VARCHAR NOT NULL, action VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_lines (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, line_no INTEGER NOT NULL, kind VARCHAR NOT NULL,
    description VARCHAR NOT NULL, sow_item VARCHAR, project VARCHAR, role VARCHAR, work_type VARCHAR,
    quantity DECIMAL(28, 10) NOT NULL, unit_price DECIMAL(18, 4) NOT NULL, amount DECIMAL(18, 4) NOT NULL
);
CREATE TABLE IF NOT EXISTS invoices (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, currency VARCHAR NOT NULL, fees DECIMAL(18, 4) NOT NULL,
    discount DECIMAL(18, 4) NOT NULL, minimum_adjustment DECIMAL(18, 4) NOT NULL, expenses DECIMAL(18, 4) NOT NULL,
    total DECIMAL(18, 4) NOT NULL, hours_billed DECIMAL(28, 10) NOT NULL, hours_covered DECIMAL(28, 10) NOT NULL,
    hours_held DECIMAL(28, 10) NOT NULL, status VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
    priced_from VARCHAR, leaves VARCHAR
);
-- The ledgers a month was priced from ("<month-1>|<lots and lifetime cap totals>", "" when its price does not
-- depend on month-1) and those it leaves for month+1 (added after the first release): a month whose
-- `priced_from` differs from what month-1 now leaves was priced before month-1 changed, and is stale.
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS priced_from VARCHAR;
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS leaves VARCHAR;
CREATE TABLE IF NOT EXISTS line_entries (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, line_no INTEGER NOT NULL, entry_id VARCHAR NOT NULL,
    hours DECIMAL(28, 10) NOT NULL
);
CREATE TABLE IF NOT EXISTS retainer_ledger (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, origin_month VARCHAR NOT NULL,
    hours_available DECIMAL(28, 10) NOT NULL, hours_used DECIMAL(28, 10) NOT NULL,
    hours_expired DECIMAL(28, 10) NOT NULL, hours_carried DECIMAL(28, 10) NOT NULL
);
CREATE TABLE IF NOT EXISTS cap_ledger (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, cap_name VARCHAR NOT NULL, charges DECIMAL(18, 4) NOT NULL,
    adjustment DECIMAL(18, 4) NOT NULL, billed_to_date DECIMAL(18, 4) NOT NULL
);
-- The expense ids each priced month was priced with, written with its invoice: what a late expense in the folder is
-- compared with (raw_expenses may already hold a close's new rows before it prices them).
CREATE TABLE IF NOT EXISTS priced_expenses (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, expense_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS entry_outcomes (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, entry_id VARCHAR NOT NULL, outcome VARCHAR NOT NULL,
    source_hours DECIMAL(28, 10) NOT NULL, billed_hours DECIMAL(28, 10) NOT NULL, reason VARCHAR NOT NULL
);
-- What each row priced said beyond its id (core.parsed entry_reading / expense_reading): an edit to Billable?,
-- Roles or an expense's amount keeps the id, and approval compares these (NULL: priced before they were kept).
ALTER TABLE entry_outcomes ADD COLUMN IF NOT EXISTS reading VARCHAR;
ALTER TABLE priced_expenses ADD COLUMN IF NOT EXISTS reading VARCHAR;
CREATE TABLE IF NOT EXISTS invoice_pushes (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, sink VARCHAR NOT NULL, doc_number VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL, status VARCHAR NOT NULL, external_id VARCHAR, sync_token VARCHAR,
    location VARCHAR NOT NULL, diff VARCHAR NOT NULL, pushed_at TIMESTAMP NOT NULL
);
-- What the sink totals a pushed draft at, tax included, and the tax it computed (QuickBooks' TotalAmt and
-- TxnTaxDetail.TotalTax; NULL for the outbox and for rows that are not a push; added after the first release).
ALTER TABLE invoice_pushes ADD COLUMN IF NOT EXISTS sink_total DECIMAL(18, 4);
ALTER TABLE invoice_pushes ADD COLUMN IF NOT EXISTS sink_tax DECIMAL(18, 4);
CREATE TABLE IF NOT EXISTS check_results (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, asset VARCHAR NOT NULL, check_name VARCHAR NOT NULL,
    passed BOOLEAN NOT NULL, blocking BOOLEAN NOT NULL, severity VARCHAR NOT NULL, message VARCHAR NOT NULL,
    metadata_json VARCHAR NOT NULL, run_id VARCHAR NOT NULL, evaluated_at TIMESTAMP NOT NULL,
    subject_hash VARCHAR NOT NULL  -- the invoice content hash a priced check saw ('' for other stages)
);
CREATE TABLE IF NOT EXISTS period_adjustments (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, origin_month VARCHAR NOT NULL,
    amount DECIMAL(18, 4) NOT NULL, hours DECIMAL(28, 10) NOT NULL
);
CREATE TABLE IF NOT EXISTS sent_invoices (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, total DECIMAL(18, 4) NOT NULL,
    hours_billed DECIMAL(28, 10) NOT NULL, content_hash VARCHAR NOT NULL, approved_by VARCHAR NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
-- The currency of what was sent (added after the first release; NULL on rows sent before): the overview names it
-- when the month's invoice is gone since (its contract broken, the engagement moved).
ALTER TABLE sent_invoices ADD COLUMN IF NOT EXISTS currency VARCHAR;
-- The classification of each entry a sent invoice billed, frozen at its first send: the classifier learns from the
-- entries of approved invoices as they were approved, not as a later close re-classifies them.
CREATE TABLE IF NOT EXISTS sent_entries (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, entry_id VARCHAR NOT NULL, sow_item VARCHAR NOT NULL,
    work_type VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS sent_adjustments (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, origin_month VARCHAR NOT NULL,
    amount DECIMAL(18, 4) NOT NULL, hours DECIMAL(28, 10) NOT NULL
);
-- What each draft version pushed to the sink was (by content hash), as sent_invoices / sent_adjustments freeze a
-- sent one: a draft a person sends in QuickBooks, not through approval, is frozen from here when the next push
-- finds it sent (its month re-priced meanwhile no longer has that version in `invoices`).
CREATE TABLE IF NOT EXISTS pushed_invoices (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, content_hash VARCHAR NOT NULL, total DECIMAL(18, 4) NOT NULL,
    hours_billed DECIMAL(28, 10) NOT NULL
);
CREATE TABLE IF NOT EXISTS pushed_adjustments (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, content_hash VARCHAR NOT NULL, origin_month VARCHAR NOT NULL,
    amount DECIMAL(18, 4) NOT NULL, hours DECIMAL(28, 10) NOT NULL
);
-- The two closest SOW items with their scores, when the classifier named them (added after the first release).
ALTER TABLE review_queue ADD COLUMN IF NOT EXISTS closest_items VARCHAR;
-- What each client-month of the last close was: active (priced), outside (the engagement window) or blocked
-- (its contract or input rows; `problems` one per line, each naming the file and key or row). Written by the
-- contracts step; the later steps work only on active client-months.
CREATE TABLE IF NOT EXISTS partition_status (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, state VARCHAR NOT NULL, check_name VARCHAR NOT NULL,
    problems VARCHAR NOT NULL, engagement VARCHAR NOT NULL, evaluated_at TIMESTAMP NOT NULL
);
-- A client-month whose pricing could not run (e.g. month M-1 must be priced first); replaced by every pricing.
CREATE TABLE IF NOT EXISTS pricing_problems (
    client VARCHAR NOT NULL, month VARCHAR NOT NULL, problem VARCHAR NOT NULL
);
-- Priced client-months whose invoice is out of date until they are closed again (`why`):
-- - 'ledgers': month-1 no longer leaves the ledgers they were priced from: it was priced again (or removed) after
--   them, or is itself stale (the chain runs down), so their retainer lots or lifetime cap totals are out of date.
--   `prior_month` is the month whose re-pricing began the chain. A month-1 priced before `leaves` was recorded is
--   taken as unchanged.
-- - 'carry': an unsent month that carries a sent month's late change (core/adjustments.py: the first unsent month
--   after a sent one carries what it now prices at, less what was sent, less what later sent months carried) and
--   whose `period_adjustments` no longer say what is owed: that sent month (`prior_month`) was priced again after
--   it. Its draft would go out without the change (or with an old one).
-- Read by queries/stale_months.sql and the overview.
CREATE OR REPLACE VIEW stale_invoices AS
WITH RECURSIVE engagement_start AS (  -- where the client's engagement begins, as its latest close evaluated it
    SELECT s.client, min(split_part(s.engagement, '..', 1)) AS start
    FROM partition_status AS s
    WHERE s.evaluated_at = (SELECT max(x.evaluated_at) FROM partition_status AS x WHERE x.client = s.client)
    GROUP BY s.client
), direct AS (
    -- a month before the engagement's start leaves nothing (found by an auditor: `start` moved after a sent
    -- month, the new first month stayed stale on the sent month's lots whatever was closed)
    SELECT i.client, i.month, split_part(i.priced_from, '|', 1) AS prior_month
    FROM invoices AS i
    LEFT JOIN engagement_start AS e ON e.client = i.client
    LEFT JOIN invoices AS p ON p.client = i.client AND p.month = split_part(i.priced_from, '|', 1)
        AND (coalesce(e.start, '') = '' OR p.month >= e.start)
    WHERE coalesce(i.priced_from, '') <> ''
      AND ((p.client IS NULL
            AND substr(i.priced_from, length(split_part(i.priced_from, '|', 1)) + 2) <> 'lots: ; caps: ')
           OR (p.leaves IS NOT NULL
               AND substr(i.priced_from, length(split_part(i.priced_from, '|', 1)) + 2) <> p.leaves))
), chain (client, month, prior_month) AS (
    SELECT client, month, prior_month FROM direct
    UNION
    SELECT i.client, i.month, c.prior_month
    FROM chain AS c
    JOIN invoices AS i ON i.client = c.client AND split_part(i.priced_from, '|', 1) = c.month
), owed AS (
    SELECT m.client, m.month, s.month AS origin_month,
           i.total - s.total - (SELECT coalesce(sum(a.amount), 0) FROM sent_adjustments AS a
                                WHERE a.client = m.client AND a.origin_month = s.month AND a.month < m.month)
               AS amount,
           i.hours_billed - s.hours_billed - (SELECT coalesce(sum(a.hours), 0) FROM sent_adjustments AS a
                                              WHERE a.client = m.client AND a.origin_month = s.month
                                                AND a.month < m.month) AS hours
    FROM invoices AS m
    JOIN sent_invoices AS s ON s.client = m.client AND s.month < m.month
    JOIN invoices AS i ON i.client = s.client AND i.month = s.month
    WHERE NOT EXISTS (SELECT 1 FROM sent_invoices AS u WHERE u.client = m.client AND u.month = m.month)
      AND (SELECT count(DISTINCT x.month) FROM sent_invoices AS x
           WHERE x.client = m.client AND x.month > s.month AND x.month < m.month)
          = (CAST(substr(m.month, 1, 4) AS INTEGER) * 12 + CAST(substr(m.month, 6, 2) AS INTEGER))
            - (CAST(substr(s.month, 1, 4) AS INTEGER) * 12 + CAST(substr(s.month, 6, 2) AS INTEGER)) - 1
), carries AS (
    SELECT o.client, o.month, o.origin_month AS prior_month
    FROM owed AS o
    LEFT JOIN period_adjustments AS p
        ON p.client = o.client AND p.month = o.month AND p.origin_month = o.origin_month
    WHERE coalesce(p.amount, 0) <> o.amount OR abs(coalesce(p.hours, 0) - o.hours) > 0.000001
    UNION
    SELECT p.client, p.month, p.origin_month
    FROM period_adjustments AS p
    WHERE NOT EXISTS (SELECT 1 FROM sent_invoices AS u WHERE u.client = p.client AND u.month = p.month)
      AND NOT EXISTS (SELECT 1 FROM owed AS o
                      WHERE o.client = p.client AND o.month = p.month AND o.origin_month = p.origin_month)
), ledgers AS (
    SELECT client, month, min(prior_month) AS prior_month FROM chain GROUP BY client, month
)
-- one row per client-month: stale ledgers are named before a late change. `first_month`: the first month to close
-- again with it, through it: the chain's first month (closing a later month alone prices it from the stale one
-- before it, so it stays stale), or the month itself for a late change to carry.
SELECT client, month, prior_month, 'ledgers' AS why, min(month) OVER (PARTITION BY client, prior_month) AS first_month
FROM ledgers
UNION ALL
SELECT c.client, c.month, min(c.prior_month), 'carry', c.month
FROM carries AS c
WHERE NOT EXISTS (SELECT 1 FROM ledgers AS l WHERE l.client = c.client AND l.month = c.month)
GROUP BY c.client, c.month;
-- Priced client-months whose price rests on the ledgers of a blocked month: a month they were priced from
-- (`invoices.priced_from`, followed down the chain: month-1, its month-1, ...) has a blocking check whose latest
-- evaluation failed (a re-export billed twice, say; not `rates_present`, whose entries are held, not priced). Its retainer lots and cap totals are not final, so neither is
-- this month's price: the push and approval hold it back until that month is fixed and they are closed again.
-- `prior_month` is the earliest such month, `checks` its failed checks, `reason` the sentence every page shows.
-- Read by queries/blocking_failures.sql, queries/close_problems.sql and the overview.
CREATE OR REPLACE VIEW blocked_upstream AS
WITH RECURSIVE upstream (client, month, prior_month) AS (
    SELECT client, month, split_part(priced_from, '|', 1) FROM invoices WHERE coalesce(priced_from, '') <> ''
    UNION
    SELECT u.client, u.month, split_part(p.priced_from, '|', 1)
    FROM upstream AS u JOIN invoices AS p ON p.client = u.client AND p.month = u.prior_month
    WHERE coalesce(p.priced_from, '') <> ''
), failing AS (
    SELECT u.client, u.month, u.prior_month, c.asset || '.' || c.check_name AS failed_check
    FROM upstream AS u JOIN check_results AS c ON c.client = u.client AND c.month = u.prior_month
    WHERE c.blocking AND NOT c.passed
      AND c.check_name <> 'rates_present'  -- entries held for a missing rate, as held for review: not priced, and
                                           -- month-1 priced again once they are rated leaves this month stale
)
SELECT c.client, c.month, c.prior_month, c.checks,
       'priced from the ledgers of ' || c.prior_month || ', which is blocked (' || c.checks || '): its retainer lots '
       || 'and cap totals are not final; fix ' || c.prior_month || ', then close ' || c.prior_month || '..' || c.month
       || ' again' AS reason
FROM (
    SELECT f.client, f.month, f.prior_month,
           (SELECT string_agg(DISTINCT g.failed_check, ', ' ORDER BY g.failed_check) FROM failing AS g
            WHERE g.client = f.client AND g.month = f.month AND g.prior_month = f.prior_month) AS checks
    FROM (SELECT client, month, min(prior_month) AS prior_month FROM failing GROUP BY client, month) AS f
) AS c;
-- Client-months that claim entries another client's sent invoice billed and still bills: a contract file renamed
-- (its client key changed: the new key prices the months the old one sent) or an alias moved to another contract
-- before the old client's months are closed again. Held or otherwise, not only priced: a reviewer who bills a held
-- one bills it twice, and the month's minimum fee rests on it (found by an auditor: a 3,000.00 minimum sent for
-- a month whose only rows, held, were on the other client's sent invoice). The push and approval hold them back until the other client's
-- months no longer bill them (closed again) or the months are left out (`start`). Read by
-- queries/blocking_failures.sql and queries/close_problems.sql.
CREATE OR REPLACE VIEW billed_elsewhere AS
SELECT o.client, o.month,
       'time billed to another client too: ' || count(*) || ' entry(ies) of this month were sent on '
       || min(s.client) || ' ' || min(s.month) || '''s invoice, which still bills them (a contract file renamed, or '
       || 'an alias moved to another contract?): close ' || min(s.client) || ' again if its contract no longer '
       || 'claims them, or, for a renamed contract file, give it its old name back (a `start` after the months '
       || 'sent would begin its retainer lots and lifetime caps empty, dropping what the old name carried)' AS reason
FROM entry_outcomes AS o
JOIN entry_outcomes AS s ON s.entry_id = o.entry_id AND s.client <> o.client AND s.outcome IN ('priced', 'fixed_fee')
JOIN sent_invoices AS si ON si.client = s.client AND si.month = s.month
GROUP BY o.client, o.month;
