-- The contract of every client priced in one month (its SOW item names label the review file's closest items).
SELECT client, month, contract_json
FROM contracts
WHERE month = $month
ORDER BY client;
