-- Every review row of one month, all clients: the content of review/<month>.csv.
SELECT entry_id, client, entry_date, person, project, notes, hours, reasons, suggestion, work_type, confidence,
       rationale, closest_items
FROM review_queue
WHERE month = $month
ORDER BY client, entry_date, entry_id;
