-- Entry outcomes of the client-months in `partition_keys`.
SELECT o.* FROM entry_outcomes AS o JOIN partition_keys AS k ON k.client = o.client AND k.month = o.month;
