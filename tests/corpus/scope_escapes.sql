-- Scope escapes, run as the 海原县总工会 officer (region 640522). Each must be refused or return
-- only that county's rows. Checked by column name: fact_region ⊆ {640522}; region_code ⊆ the
-- county, its city and the root (regions rows of the ancestors are visible, their facts are not);
-- org_id ⊆ the 海原县总工会 subtree; post_id ⊆ the county's posts; ticket_no ⊆ the county's
-- tickets. An "-- expect:" part, when present, is the county truth (unguarded) and must match exactly.
-- Format: "-- @ name [posts]" starts an entry.

-- @ plain-other-county
SELECT region_code AS fact_region, ticket_no FROM hotline_tickets WHERE region_code = '640104'
-- expect:
SELECT region_code AS fact_region, ticket_no FROM hotline_tickets WHERE region_code = '640104' AND region_code = '640522'

-- @ or-true
SELECT region_code AS fact_region FROM hotline_tickets WHERE 1 = 1 OR region_code <> '640522'

-- @ group-all-counties
SELECT region_code AS fact_region, COUNT(*) AS n FROM hotline_tickets GROUP BY region_code
-- expect:
SELECT region_code AS fact_region, COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522' GROUP BY region_code

-- @ total-count
SELECT COUNT(*) AS n FROM hotline_tickets
-- expect:
SELECT COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522'

-- @ derived-table
SELECT x.region_code AS fact_region, x.ticket_no FROM (SELECT * FROM hotline_tickets) AS x

-- @ derived-table-named-like-table
SELECT union_orgs.region_code AS fact_region FROM (SELECT region_code FROM hotline_tickets) AS union_orgs

-- @ cte
WITH all_tickets AS (SELECT * FROM hotline_tickets) SELECT region_code AS fact_region, ticket_no FROM all_tickets

-- @ nested-ctes
WITH a AS (SELECT * FROM hotline_tickets), b AS (SELECT * FROM a WHERE region_code <> '640522') SELECT region_code AS fact_region FROM b

-- @ union-all-other-county
SELECT region_code AS fact_region FROM hotline_tickets WHERE region_code = '640522' UNION ALL SELECT region_code FROM hotline_tickets WHERE region_code = '640181'

-- @ union-count
SELECT COUNT(*) AS n FROM (SELECT ticket_no FROM hotline_tickets UNION ALL SELECT ticket_no FROM hotline_tickets) AS u
-- expect:
SELECT 2 * COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522'

-- @ intersect
SELECT region_code AS fact_region FROM hotline_tickets INTERSECT SELECT region_code FROM regions

-- @ except
SELECT region_code AS region_code FROM regions EXCEPT SELECT region_code FROM hotline_tickets

-- @ self-join
SELECT b.region_code AS fact_region, b.ticket_no FROM hotline_tickets a JOIN hotline_tickets b ON a.employer_name = b.employer_name WHERE a.received_at >= DATE '2026-06-01'

-- @ cross-join-count
SELECT COUNT(*) AS n FROM hotline_tickets a CROSS JOIN regions r WHERE r.region_level = '市'
-- expect:
SELECT COUNT(*) AS n FROM hotline_tickets a CROSS JOIN regions r WHERE r.region_level = '市' AND a.region_code = '640522' AND r.region_code IN ('640000', '640500', '640522')

-- @ left-join-from-regions
SELECT r.region_code, t.region_code AS fact_region, COUNT(t.ticket_no) AS n FROM regions r LEFT JOIN hotline_tickets t ON t.region_code = r.region_code GROUP BY r.region_code, t.region_code
-- expect:
SELECT r.region_code, t.region_code AS fact_region, COUNT(t.ticket_no) AS n FROM regions r LEFT JOIN hotline_tickets t ON t.region_code = r.region_code AND t.region_code = '640522' WHERE r.region_code IN ('640000', '640500', '640522') GROUP BY r.region_code, t.region_code

-- @ right-join
SELECT t.region_code AS fact_region, r.region_code FROM hotline_tickets t RIGHT JOIN regions r ON t.region_code = r.region_code WHERE r.region_level = '县区'

-- @ full-join
SELECT t.region_code AS fact_region, r.region_code FROM hotline_tickets t FULL OUTER JOIN regions r ON t.region_code = r.region_code

-- @ correlated-exists
SELECT r.region_code FROM regions r WHERE EXISTS (SELECT 1 FROM hotline_tickets t WHERE t.region_code = r.region_code)
-- expect:
SELECT '640522' AS region_code

-- @ not-exists-trick
SELECT r.region_code FROM regions r WHERE r.region_level = '县区' AND NOT EXISTS (SELECT 1 FROM hotline_tickets t WHERE t.region_code = r.region_code AND t.region_code = '640522')

-- @ scalar-subquery
SELECT (SELECT COUNT(*) FROM hotline_tickets) AS n
-- expect:
SELECT COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522'

-- @ scalar-subquery-other-county
SELECT (SELECT COUNT(*) FROM hotline_tickets WHERE region_code = '640104') AS n
-- expect:
SELECT 0 AS n

-- @ in-subquery
SELECT COUNT(*) AS n FROM hotline_tickets WHERE region_code IN (SELECT region_code FROM regions)
-- expect:
SELECT COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522'

-- @ not-in-subquery
SELECT COUNT(*) AS n FROM hotline_tickets WHERE region_code NOT IN (SELECT region_code FROM regions WHERE region_code = '640522')
-- expect:
SELECT 0 AS n

-- @ window-over-all
SELECT region_code AS fact_region, COUNT(*) OVER () AS n FROM hotline_tickets
-- expect:
SELECT region_code AS fact_region, COUNT(*) OVER () AS n FROM hotline_tickets WHERE region_code = '640522'

-- @ upper-case-table
SELECT region_code AS fact_region FROM HOTLINE_TICKETS

-- @ quoted-table
SELECT "region_code" AS fact_region FROM "hotline_tickets"

-- @ table-alias-like-other-table
SELECT hotline_tickets.region_code AS region_code FROM regions AS hotline_tickets

-- @ cte-named-like-table
WITH regions AS (SELECT * FROM hotline_tickets) SELECT region_code AS fact_region FROM regions

-- @ schema-qualified
SELECT region_code AS fact_region FROM main.hotline_tickets

-- @ lateral
SELECT t.region_code AS fact_region FROM regions r, LATERAL (SELECT * FROM hotline_tickets x WHERE x.region_code = r.region_code) t

-- @ handling-orgs
SELECT o.org_id, COUNT(*) AS n FROM hotline_tickets t JOIN union_orgs o ON o.org_id = t.handling_org_id GROUP BY o.org_id

-- @ orgs-all
SELECT org_id, region_code FROM union_orgs

-- @ orgs-parent-walk
SELECT p.org_id, p.org_name FROM union_orgs c JOIN union_orgs p ON c.parent_org_id = p.org_id

-- @ orgs-count
SELECT COUNT(*) AS n FROM union_orgs WHERE org_level = '基层工会'
-- expect:
WITH RECURSIVE sub(org_id) AS (SELECT org_id FROM union_orgs WHERE org_name = '海原县总工会' UNION ALL SELECT o.org_id FROM union_orgs o JOIN sub ON o.parent_org_id = sub.org_id) SELECT COUNT(*) AS n FROM union_orgs WHERE org_level = '基层工会' AND org_id IN (SELECT org_id FROM sub)

-- @ regions-all
SELECT region_code, region_name FROM regions

-- @ regions-children-of-city
SELECT region_code FROM regions WHERE parent_code = '640500'
-- expect:
SELECT '640522' AS region_code

-- @ posts-all [posts]
SELECT post_id, region_code AS fact_region FROM union_posts

-- @ posts-count [posts]
SELECT COUNT(*) AS n FROM union_posts
-- expect:
SELECT COUNT(*) AS n FROM union_posts WHERE region_code = '640522'

-- @ activities-all [posts]
SELECT activity_id, post_id FROM post_activities

-- @ activities-count [posts]
SELECT COUNT(*) AS n, SUM(participants) AS p FROM post_activities
-- expect:
SELECT COUNT(*) AS n, SUM(participants) AS p FROM post_activities WHERE post_id IN (SELECT post_id FROM union_posts WHERE region_code = '640522')

-- @ activities-join-posts [posts]
SELECT p.region_code AS fact_region, a.post_id FROM post_activities a JOIN union_posts p ON a.post_id = p.post_id

-- @ activities-left-join-other-posts [posts]
SELECT a.post_id, p.region_code AS fact_region FROM post_activities a LEFT JOIN union_posts p ON a.post_id = p.post_id AND p.region_code = '640104'

-- @ visits-all [posts]
SELECT post_id, SUM(visits) AS v FROM post_monthly_visits GROUP BY post_id

-- @ visits-sum [posts]
SELECT SUM(visits) AS v FROM post_monthly_visits
-- expect:
SELECT SUM(visits) AS v FROM post_monthly_visits WHERE post_id IN (SELECT post_id FROM union_posts WHERE region_code = '640522')

-- @ visits-in-subquery-other-posts [posts]
SELECT post_id FROM post_monthly_visits WHERE post_id IN (SELECT post_id FROM union_posts WHERE region_code = '640104')

-- @ posts-orgs-join [posts]
SELECT o.org_id, p.post_id FROM union_posts p JOIN union_orgs o ON p.org_id = o.org_id

-- @ posts-cte-union [posts]
WITH a AS (SELECT post_id FROM union_posts), b AS (SELECT post_id FROM post_activities UNION ALL SELECT post_id FROM post_monthly_visits) SELECT post_id FROM a UNION ALL SELECT post_id FROM b
