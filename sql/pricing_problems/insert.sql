-- Insert the staged pricing problems.
INSERT INTO pricing_problems (client, month, problem) SELECT client, month, problem FROM staged;
