-- Remember classifier answers (the newest answer for a key wins).
INSERT OR REPLACE INTO classification_cache (cache_key, sow_item, work_type, confidence, rationale, created_at)
SELECT cache_key, sow_item, work_type, CAST(confidence AS DOUBLE), rationale, now()
FROM staged;
