-- The firm overview table rebuilt in one statement from the SELECT in select.sql (put where the placeholder is).
CREATE OR REPLACE TABLE firm_overview AS
{select}
