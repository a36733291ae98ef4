-- Insert the staged check results.
INSERT INTO check_results (client, month, asset, check_name, passed, blocking, severity, message, metadata_json,
                           run_id, evaluated_at, subject_hash)
SELECT client, month, asset, check_name, CAST(passed AS BOOLEAN), CAST(blocking AS BOOLEAN), severity, message,
       metadata_json, run_id, CAST(evaluated_at AS TIMESTAMP), subject_hash
FROM staged;
