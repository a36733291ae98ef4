-- Cap ledger rows of the client-months in `partition_keys`.
SELECT c.* FROM cap_ledger AS c JOIN partition_keys AS k ON k.client = c.client AND k.month = c.month;
