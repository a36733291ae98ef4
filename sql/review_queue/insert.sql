-- Insert the staged rows (decimals arrive as exact text) into review_queue.
INSERT INTO review_queue (client, month, entry_id, entry_date, person, project, notes, hours, reasons, work_type, suggestion, confidence, rationale, action, closest_items)
SELECT
    client,
    month,
    entry_id,
    CAST(entry_date AS DATE) AS entry_date,
    person,
    project,
    notes,
    CAST(hours AS DECIMAL(28, 10)) AS hours,
    reasons,
    work_type,
    suggestion,
    CAST(confidence AS DECIMAL(6, 4)) AS confidence,
    rationale,
    action,
    closest_items
FROM staged;
