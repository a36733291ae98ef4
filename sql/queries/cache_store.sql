-- Remember classifier answers (the newest answer for a key wins).
INSERT INTO classification_cache (cache_key, sow_item, work_type, confidence, rationale, created_at)
SELECT cache_key, sow_item, work_type, CAST(confidence AS DOUBLE PRECISION), rationale, now()
FROM staged
ON CONFLICT (cache_key) DO UPDATE SET sow_item = excluded.sow_item, work_type = excluded.work_type,
    confidence = excluded.confidence, rationale = excluded.rationale, created_at = excluded.created_at;
