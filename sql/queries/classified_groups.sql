-- Classified entries of the client-months in `partition_keys`, grouped by what the classified checks look at
-- (work type, SOW item, held, why held): entries and hours per group, and the first entry ids to name in a message.
SELECT c.client, c.month, c.work_type, c.sow_item, c.held, c.review_reasons, count(*) AS entries,
       sum(r.hours) AS hours, (array_agg(c.entry_id ORDER BY c.entry_id))[1:5] AS entry_ids
FROM classified_time_entries AS c
JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month
JOIN raw_time_entries AS r ON r.client = c.client AND r.month = c.month AND r.entry_id = c.entry_id
GROUP BY c.client, c.month, c.work_type, c.sow_item, c.held, c.review_reasons
ORDER BY c.client, c.month, c.work_type, c.sow_item NULLS FIRST, c.held, c.review_reasons;
