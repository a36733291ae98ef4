-- One check's latest result of one client-month evaluated again (a warning whose inputs are other months: the
-- trailing-range checks of a month after a month priced again); its other checks and subject stay.
UPDATE check_results
SET passed = $passed, message = $message, metadata_json = $metadata_json, run_id = $run_id, evaluated_at = $now
WHERE client = $client AND month = $month AND asset = $asset AND check_name = $check;
