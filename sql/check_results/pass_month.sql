-- A check of the month's rows as a whole (raw_time_entries.known_clients) passing now: its failures stored for
-- the month's other client-months, evaluated by earlier runs, are no longer the month's state.
UPDATE check_results SET passed = TRUE, message = $message, run_id = $run_id, evaluated_at = $now
WHERE asset = $asset AND check_name = $check AND month = $month AND NOT passed;
