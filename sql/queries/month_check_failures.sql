-- The client-months of `$month` whose latest result of one check (`$asset`.`$check`) failed.
SELECT client, month FROM check_results
WHERE asset = $asset AND check_name = $check AND month = $month AND NOT passed
ORDER BY client;
