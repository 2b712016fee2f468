-- Statements that look like attacks but parse into one harmless query: the guard may pass them,
-- and then the SQL it sends must be a single SELECT with the tricks gone (comments dropped,
-- strings kept as strings). Same format as attacks.sql.
-- @ nested-comment
SELECT /* /* */ DROP TABLE regions */ 1
-- @ drop-inside-string
SELECT 'DROP TABLE hotline_tickets; --' AS s
-- @ semicolon-inside-string
SELECT region_name FROM regions WHERE region_name = '银川市; DELETE FROM regions'
-- @ comment-with-statement
SELECT count(*) FROM hotline_tickets -- ; DROP TABLE hotline_tickets
-- @ block-comment-with-statement
SELECT /* DELETE FROM hotline_tickets; */ count(*) FROM regions
-- @ trailing-semicolon
SELECT count(*) FROM regions;
-- @ quoted-identifier-with-keyword
SELECT count(*) AS "DROP TABLE regions" FROM regions
-- @ escaped-quote
SELECT 'O''Brien; DROP TABLE regions' AS s
-- @ unicode-alias
SELECT count(*) AS 工单量 FROM hotline_tickets
-- @ fullwidth-inside-string
SELECT '；DROP TABLE regions' AS s
