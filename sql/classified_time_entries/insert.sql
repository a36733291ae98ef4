-- Insert the staged rows (decimals arrive as exact text) into classified_time_entries.
INSERT INTO classified_time_entries (client, month, entry_id, work_type, sow_item, confidence, method, review_reasons, suggested_sow_item, action, rationale, held)
SELECT
    client,
    month,
    entry_id,
    work_type,
    sow_item,
    CAST(confidence AS DECIMAL(6, 4)) AS confidence,
    method,
    review_reasons,
    suggested_sow_item,
    action,
    rationale,
    CAST(held AS BOOLEAN) AS held
FROM staged;
