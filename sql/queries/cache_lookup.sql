-- Remembered classifier answers for the keys in `wanted_keys`.
SELECT c.cache_key, c.sow_item, c.work_type, c.confidence, c.rationale
FROM classification_cache AS c
JOIN wanted_keys AS w ON w.cache_key = c.cache_key;
