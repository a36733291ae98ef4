-- When each client-month of `partition_keys` was last closed: its contracts step's evaluation, before the run read
-- its time (a change in the time tool after it may not be on its invoice).
SELECT s.client, s.month, s.evaluated_at
FROM partition_status AS s JOIN partition_keys AS k ON k.client = s.client AND k.month = s.month;
