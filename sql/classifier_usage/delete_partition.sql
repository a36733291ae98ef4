-- Remove the classifier_usage rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM classifier_usage
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = classifier_usage.client AND k.month = classifier_usage.month
);
