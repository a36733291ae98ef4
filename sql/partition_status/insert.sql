-- Insert the staged partition states.
INSERT INTO partition_status (client, month, state, check_name, problems, engagement, evaluated_at)
SELECT client, month, state, check_name, problems, engagement, CAST(evaluated_at AS TIMESTAMP) FROM staged;
