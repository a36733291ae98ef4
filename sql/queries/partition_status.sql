-- The recorded state of each client-month in `partition_keys` (none: the contracts step never ran for it).
SELECT s.client, s.month, s.state, s.check_name, s.problems, s.engagement
FROM partition_status AS s JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month;
