-- Insert the staged rows (decimals arrive as exact text) into invoice_pushes.
INSERT INTO invoice_pushes (client, month, sink, doc_number, content_hash, status, external_id, sync_token, location, diff, pushed_at, sink_total, sink_tax)
SELECT
    client,
    month,
    sink,
    doc_number,
    content_hash,
    status,
    external_id,
    sync_token,
    location,
    diff,
    CAST(pushed_at AS TIMESTAMP) AS pushed_at,
    CAST(sink_total AS DECIMAL(18, 4)) AS sink_total,
    CAST(sink_tax AS DECIMAL(18, 4)) AS sink_tax
FROM staged;
