"""QuickBooks Online: push invoice drafts and send approved ones, on python-quickbooks + intuit-oauth.

Modules: `errors`, `transport` (https / loopback guard, timeouts, HTTP status), `tokens` (token state, file and
Secrets Manager stores, refresh manager), `limits` (rate limit, retry policy), `client` (connection and calls
with retries), `diffs` (what an invoice holds vs our draft), `invoices` (upsert, recovery, send) and `sink`
(the Dagster resource). The facts behind them are in README.md. Importing this package imports nothing else,
so the Definitions load without the QuickBooks libraries.
"""
