-- Late-change adjustments carried by the client-months in `partition_keys`.
SELECT a.* FROM period_adjustments AS a JOIN partition_keys AS k ON k.client = a.client AND k.month = a.month;
