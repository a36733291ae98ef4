-- Mark the staged client-months (`blocked`: client, month, check_name, problems) blocked after the contracts step
-- recorded them active: a later step could not do its part for them (Claude could not classify their entries).
-- The later steps then hold them back as they hold a month blocked by its inputs; `evaluated_at` is kept.
UPDATE partition_status
SET state = 'blocked', check_name = b.check_name, problems = b.problems
FROM blocked AS b
WHERE partition_status.client = b.client AND partition_status.month = b.month;
