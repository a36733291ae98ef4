-- Insert the staged rows (decimals arrive as exact text) into classifier_usage.
INSERT INTO classifier_usage (client, month, classifier, requests, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, cost_usd, cached_answers)
SELECT
    client,
    month,
    classifier,
    CAST(requests AS INTEGER) AS requests,
    CAST(input_tokens AS BIGINT) AS input_tokens,
    CAST(output_tokens AS BIGINT) AS output_tokens,
    CAST(cache_creation_input_tokens AS BIGINT) AS cache_creation_input_tokens,
    CAST(cache_read_input_tokens AS BIGINT) AS cache_read_input_tokens,
    CAST(cost_usd AS DECIMAL(18, 6)) AS cost_usd,
    CAST(cached_answers AS INTEGER) AS cached_answers
FROM staged;
