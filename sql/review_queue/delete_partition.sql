-- Remove the review_queue rows of the client-months listed in `partition_keys` (client, month).
DELETE FROM review_queue
WHERE EXISTS (
    SELECT 1 FROM partition_keys AS k
    WHERE k.client = review_queue.client AND k.month = review_queue.month
);
