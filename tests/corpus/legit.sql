-- Legitimate queries (DuckDB dialect, as planners write them). Each must pass the guard and, for
-- an unscoped asker, return the same rows as the unguarded query on every engine.
-- The "-- county:" part is the same question scoped by hand to 海原县 (640522) the way the guard
-- scopes it: facts by region_code, regions to the subtree plus its ancestors (640000, 640500),
-- union_orgs to the 海原县总工会 subtree, post tables through their post's region_code.
-- Run as the 海原县总工会 officer, the guarded query must return exactly the county rows.
-- Format: "-- @ name [posts]" starts an entry.

-- @ total-tickets
SELECT COUNT(*) AS 工单量 FROM hotline_tickets
-- county:
SELECT COUNT(*) AS 工单量 FROM hotline_tickets WHERE region_code = '640522'

-- @ tickets-this-year
SELECT COUNT(*) AS 工单量 FROM hotline_tickets t WHERE t.received_at >= DATE '2026-01-01' AND t.received_at < DATE '2026-07-01'
-- county:
SELECT COUNT(*) AS 工单量 FROM hotline_tickets t WHERE t.region_code = '640522' AND t.received_at >= DATE '2026-01-01' AND t.received_at < DATE '2026-07-01'

-- @ tickets-by-county
SELECT t.region_code, r.region_name, COUNT(*) AS 工单量 FROM hotline_tickets t JOIN regions r ON t.region_code = r.region_code GROUP BY t.region_code, r.region_name
-- county:
SELECT t.region_code, r.region_name, COUNT(*) AS 工单量 FROM hotline_tickets t JOIN regions r ON t.region_code = r.region_code WHERE t.region_code = '640522' GROUP BY t.region_code, r.region_name

-- @ tickets-by-city
SELECT c.region_code, c.region_name AS 市, COUNT(*) AS 工单量 FROM hotline_tickets t JOIN regions r ON t.region_code = r.region_code JOIN regions c ON r.parent_code = c.region_code GROUP BY c.region_code, c.region_name
-- county:
SELECT c.region_code, c.region_name AS 市, COUNT(*) AS 工单量 FROM hotline_tickets t JOIN regions r ON t.region_code = r.region_code JOIN regions c ON r.parent_code = c.region_code WHERE t.region_code = '640522' GROUP BY c.region_code, c.region_name

-- @ counties-left-join-zero
SELECT r.region_code, r.region_name, COUNT(t.ticket_no) AS 工单量 FROM regions r LEFT JOIN hotline_tickets t ON t.region_code = r.region_code AND t.topic = '欠薪讨薪' WHERE r.region_level = '县区' GROUP BY r.region_code, r.region_name
-- county:
SELECT r.region_code, r.region_name, COUNT(t.ticket_no) AS 工单量 FROM regions r LEFT JOIN hotline_tickets t ON t.region_code = r.region_code AND t.topic = '欠薪讨薪' AND t.region_code = '640522' WHERE r.region_level = '县区' AND r.region_code IN ('640000', '640500', '640522') GROUP BY r.region_code, r.region_name

-- @ tickets-by-month
SELECT strftime(t.received_at, '%Y-%m') AS 月份, COUNT(*) AS 工单量 FROM hotline_tickets t WHERE t.received_at >= DATE '2026-01-01' GROUP BY 月份
-- county:
SELECT strftime(t.received_at, '%Y-%m') AS 月份, COUNT(*) AS 工单量 FROM hotline_tickets t WHERE t.received_at >= DATE '2026-01-01' AND t.region_code = '640522' GROUP BY 月份

-- @ tickets-by-topic
SELECT topic AS 问题分类, COUNT(*) AS 工单量 FROM hotline_tickets GROUP BY topic
-- county:
SELECT topic AS 问题分类, COUNT(*) AS 工单量 FROM hotline_tickets WHERE region_code = '640522' GROUP BY topic

-- @ closure-rate-by-channel
SELECT channel AS 渠道, CAST(SUM(CASE WHEN status IN ('已办结', '已回访') THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS 办结率 FROM hotline_tickets GROUP BY channel
-- county:
SELECT channel AS 渠道, CAST(SUM(CASE WHEN status IN ('已办结', '已回访') THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS 办结率 FROM hotline_tickets WHERE region_code = '640522' GROUP BY channel

-- @ satisfaction-rate
SELECT CAST(SUM(CASE WHEN satisfaction IN ('满意', '基本满意') THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(COUNT(satisfaction), 0) AS 满意率 FROM hotline_tickets
-- county:
SELECT CAST(SUM(CASE WHEN satisfaction IN ('满意', '基本满意') THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(COUNT(satisfaction), 0) AS 满意率 FROM hotline_tickets WHERE region_code = '640522'

-- @ overdue-open
SELECT region_code, COUNT(*) AS 超期工单 FROM hotline_tickets WHERE status IN ('待派单', '办理中') AND due_at < DATE '2026-06-30' GROUP BY region_code
-- county:
SELECT region_code, COUNT(*) AS 超期工单 FROM hotline_tickets WHERE status IN ('待派单', '办理中') AND due_at < DATE '2026-06-30' AND region_code = '640522' GROUP BY region_code

-- @ on-time-rate
SELECT CAST(SUM(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(SUM(CASE WHEN status IN ('已办结', '已回访') THEN 1 ELSE 0 END), 0) AS 按期办结率 FROM hotline_tickets
-- county:
SELECT CAST(SUM(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(SUM(CASE WHEN status IN ('已办结', '已回访') THEN 1 ELSE 0 END), 0) AS 按期办结率 FROM hotline_tickets WHERE region_code = '640522'

-- @ recovered-amount-by-industry
SELECT industry AS 行业, SUM(amount_recovered) AS 追回金额 FROM hotline_tickets WHERE amount_recovered IS NOT NULL GROUP BY industry
-- county:
SELECT industry AS 行业, SUM(amount_recovered) AS 追回金额 FROM hotline_tickets WHERE amount_recovered IS NOT NULL AND region_code = '640522' GROUP BY industry

-- @ people-involved-stats
SELECT complexity, SUM(people_involved) AS 涉及人数, MAX(people_involved) AS 最多, MIN(people_involved) AS 最少 FROM hotline_tickets GROUP BY complexity
-- county:
SELECT complexity, SUM(people_involved) AS 涉及人数, MAX(people_involved) AS 最多, MIN(people_involved) AS 最少 FROM hotline_tickets WHERE region_code = '640522' GROUP BY complexity

-- @ detail-list-masked
SELECT ticket_no, region_code, caller_name, caller_phone, topic, content FROM hotline_tickets WHERE received_at >= DATE '2026-06-01' AND topic IN ('欠薪讨薪', '劳动合同')
-- county:
SELECT ticket_no, region_code, caller_name, caller_phone, topic, content FROM hotline_tickets WHERE received_at >= DATE '2026-06-01' AND topic IN ('欠薪讨薪', '劳动合同') AND region_code = '640522'

-- @ star-detail
SELECT * FROM hotline_tickets WHERE received_at >= DATE '2026-06-28'
-- county:
SELECT * FROM hotline_tickets WHERE received_at >= DATE '2026-06-28' AND region_code = '640522'

-- @ alias-star-with-join
SELECT t.*, r.region_name FROM hotline_tickets t JOIN regions r ON r.region_code = t.region_code WHERE t.received_at >= DATE '2026-06-29'
-- county:
SELECT t.*, r.region_name FROM hotline_tickets t JOIN regions r ON r.region_code = t.region_code WHERE t.received_at >= DATE '2026-06-29' AND t.region_code = '640522'

-- @ cte-masked-names
WITH recent AS (SELECT ticket_no, caller_name AS 姓名, region_code FROM hotline_tickets WHERE received_at >= DATE '2026-06-27') SELECT ticket_no, 姓名, region_code FROM recent
-- county:
WITH recent AS (SELECT ticket_no, caller_name AS 姓名, region_code FROM hotline_tickets WHERE received_at >= DATE '2026-06-27' AND region_code = '640522') SELECT ticket_no, 姓名, region_code FROM recent

-- @ cte-year-over-year
WITH s AS (SELECT SUM(CASE WHEN received_at >= DATE '2026-01-01' THEN 1 ELSE 0 END) AS cur, SUM(CASE WHEN received_at < DATE '2025-07-01' THEN 1 ELSE 0 END) AS prev FROM hotline_tickets WHERE received_at >= DATE '2025-01-01' AND (received_at < DATE '2025-07-01' OR received_at >= DATE '2026-01-01')) SELECT cur, prev, CAST(cur - prev AS DOUBLE) / NULLIF(prev, 0) AS 同比 FROM s
-- county:
WITH s AS (SELECT SUM(CASE WHEN received_at >= DATE '2026-01-01' THEN 1 ELSE 0 END) AS cur, SUM(CASE WHEN received_at < DATE '2025-07-01' THEN 1 ELSE 0 END) AS prev FROM hotline_tickets WHERE region_code = '640522' AND received_at >= DATE '2025-01-01' AND (received_at < DATE '2025-07-01' OR received_at >= DATE '2026-01-01')) SELECT cur, prev, CAST(cur - prev AS DOUBLE) / NULLIF(prev, 0) AS 同比 FROM s

-- @ two-ctes-joined
WITH a AS (SELECT region_code, COUNT(*) AS n FROM hotline_tickets GROUP BY region_code), b AS (SELECT region_code, COUNT(*) AS closed FROM hotline_tickets WHERE status IN ('已办结', '已回访') GROUP BY region_code) SELECT a.region_code, a.n, b.closed FROM a LEFT JOIN b ON a.region_code = b.region_code
-- county:
WITH a AS (SELECT region_code, COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522' GROUP BY region_code), b AS (SELECT region_code, COUNT(*) AS closed FROM hotline_tickets WHERE status IN ('已办结', '已回访') AND region_code = '640522' GROUP BY region_code) SELECT a.region_code, a.n, b.closed FROM a LEFT JOIN b ON a.region_code = b.region_code

-- @ derived-table
SELECT x.region_code, x.n FROM (SELECT region_code, COUNT(*) AS n FROM hotline_tickets WHERE topic = '工伤认定' GROUP BY region_code) AS x WHERE x.n > 10
-- county:
SELECT x.region_code, x.n FROM (SELECT region_code, COUNT(*) AS n FROM hotline_tickets WHERE topic = '工伤认定' AND region_code = '640522' GROUP BY region_code) AS x WHERE x.n > 10

-- @ in-subquery-regions
SELECT COUNT(*) AS n FROM hotline_tickets WHERE region_code IN (SELECT region_code FROM regions WHERE parent_code = '640500')
-- county:
SELECT COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522' AND region_code IN (SELECT region_code FROM regions WHERE parent_code = '640500')

-- @ exists-correlated
SELECT r.region_code, r.region_name FROM regions r WHERE EXISTS (SELECT 1 FROM hotline_tickets t WHERE t.region_code = r.region_code AND t.topic = '心理咨询')
-- county:
SELECT r.region_code, r.region_name FROM regions r WHERE r.region_code IN ('640000', '640500', '640522') AND EXISTS (SELECT 1 FROM hotline_tickets t WHERE t.region_code = r.region_code AND t.topic = '心理咨询' AND t.region_code = '640522')

-- @ scalar-subquery-share
SELECT topic, CAST(COUNT(*) AS DOUBLE) / (SELECT COUNT(*) FROM hotline_tickets) AS 占比 FROM hotline_tickets GROUP BY topic
-- county:
SELECT topic, CAST(COUNT(*) AS DOUBLE) / (SELECT COUNT(*) FROM hotline_tickets WHERE region_code = '640522') AS 占比 FROM hotline_tickets WHERE region_code = '640522' GROUP BY topic

-- @ union-all-two-topics
SELECT region_code, '欠薪' AS kind FROM hotline_tickets WHERE topic = '欠薪讨薪' AND received_at >= DATE '2026-06-01' UNION ALL SELECT region_code, '工伤' AS kind FROM hotline_tickets WHERE topic = '工伤认定' AND received_at >= DATE '2026-06-01'
-- county:
SELECT region_code, '欠薪' AS kind FROM hotline_tickets WHERE topic = '欠薪讨薪' AND received_at >= DATE '2026-06-01' AND region_code = '640522' UNION ALL SELECT region_code, '工伤' AS kind FROM hotline_tickets WHERE topic = '工伤认定' AND received_at >= DATE '2026-06-01' AND region_code = '640522'

-- @ union-distinct-codes
SELECT region_code FROM hotline_tickets WHERE channel = 'APP' UNION SELECT region_code FROM hotline_tickets WHERE channel = '来访'
-- county:
SELECT region_code FROM hotline_tickets WHERE channel = 'APP' AND region_code = '640522' UNION SELECT region_code FROM hotline_tickets WHERE channel = '来访' AND region_code = '640522'

-- @ self-join-same-employer
SELECT a.region_code, COUNT(*) AS pairs FROM hotline_tickets a JOIN hotline_tickets b ON a.employer_name = b.employer_name AND a.ticket_no < b.ticket_no WHERE a.received_at >= DATE '2026-06-01' AND b.received_at >= DATE '2026-06-01' GROUP BY a.region_code
-- county:
SELECT a.region_code, COUNT(*) AS pairs FROM hotline_tickets a JOIN hotline_tickets b ON a.employer_name = b.employer_name AND a.ticket_no < b.ticket_no WHERE a.received_at >= DATE '2026-06-01' AND b.received_at >= DATE '2026-06-01' AND a.region_code = '640522' AND b.region_code = '640522' GROUP BY a.region_code

-- @ window-rank
SELECT region_code, topic, n, RANK() OVER (PARTITION BY region_code ORDER BY n DESC) AS rk FROM (SELECT region_code, topic, COUNT(*) AS n FROM hotline_tickets GROUP BY region_code, topic) AS s
-- county:
SELECT region_code, topic, n, RANK() OVER (PARTITION BY region_code ORDER BY n DESC) AS rk FROM (SELECT region_code, topic, COUNT(*) AS n FROM hotline_tickets WHERE region_code = '640522' GROUP BY region_code, topic) AS s

-- @ window-lag-monthly
SELECT m, n, n - LAG(n) OVER (ORDER BY m) AS 环比变化 FROM (SELECT strftime(received_at, '%Y-%m') AS m, COUNT(*) AS n FROM hotline_tickets WHERE received_at >= DATE '2026-01-01' GROUP BY m) AS s
-- county:
SELECT m, n, n - LAG(n) OVER (ORDER BY m) AS 环比变化 FROM (SELECT strftime(received_at, '%Y-%m') AS m, COUNT(*) AS n FROM hotline_tickets WHERE received_at >= DATE '2026-01-01' AND region_code = '640522' GROUP BY m) AS s

-- @ window-row-number-top
SELECT ticket_no, region_code, amount_involved FROM (SELECT ticket_no, region_code, amount_involved, ROW_NUMBER() OVER (PARTITION BY region_code ORDER BY amount_involved DESC, ticket_no) AS rn FROM hotline_tickets WHERE amount_involved IS NOT NULL) AS s WHERE rn <= 3
-- county:
SELECT ticket_no, region_code, amount_involved FROM (SELECT ticket_no, region_code, amount_involved, ROW_NUMBER() OVER (PARTITION BY region_code ORDER BY amount_involved DESC, ticket_no) AS rn FROM hotline_tickets WHERE amount_involved IS NOT NULL AND region_code = '640522') AS s WHERE rn <= 3

-- @ coalesce-nullif-round
SELECT region_code, ROUND(AVG(COALESCE(amount_recovered, 0)), 2) AS avg_recovered, SUM(NULLIF(people_involved, 1)) AS multi FROM hotline_tickets GROUP BY region_code
-- county:
SELECT region_code, ROUND(AVG(COALESCE(amount_recovered, 0)), 2) AS avg_recovered, SUM(NULLIF(people_involved, 1)) AS multi FROM hotline_tickets WHERE region_code = '640522' GROUP BY region_code

-- @ like-on-content
SELECT region_code, COUNT(*) AS n FROM hotline_tickets WHERE content LIKE '%工资%' GROUP BY region_code
-- county:
SELECT region_code, COUNT(*) AS n FROM hotline_tickets WHERE content LIKE '%工资%' AND region_code = '640522' GROUP BY region_code

-- @ having-filter
SELECT region_code, employer_name, COUNT(*) AS n FROM hotline_tickets WHERE employer_name IS NOT NULL GROUP BY region_code, employer_name HAVING COUNT(*) >= 5
-- county:
SELECT region_code, employer_name, COUNT(*) AS n FROM hotline_tickets WHERE employer_name IS NOT NULL AND region_code = '640522' GROUP BY region_code, employer_name HAVING COUNT(*) >= 5

-- @ ordered-limit-unique
SELECT ticket_no, region_code, people_involved FROM hotline_tickets ORDER BY people_involved DESC, ticket_no LIMIT 20
-- county:
SELECT ticket_no, region_code, people_involved FROM hotline_tickets WHERE region_code = '640522' ORDER BY people_involved DESC, ticket_no LIMIT 20

-- @ handling-org-join
SELECT o.org_id, o.org_name, COUNT(*) AS n FROM hotline_tickets t JOIN union_orgs o ON t.handling_org_id = o.org_id GROUP BY o.org_id, o.org_name
-- county:
WITH RECURSIVE sub(org_id) AS (SELECT org_id FROM union_orgs WHERE org_name = '海原县总工会' UNION ALL SELECT o.org_id FROM union_orgs o JOIN sub ON o.parent_org_id = sub.org_id) SELECT o.org_id, o.org_name, COUNT(*) AS n FROM hotline_tickets t JOIN union_orgs o ON t.handling_org_id = o.org_id WHERE t.region_code = '640522' AND o.org_id IN (SELECT org_id FROM sub) GROUP BY o.org_id, o.org_name

-- @ distinct-values
SELECT DISTINCT region_code, request_type FROM hotline_tickets
-- county:
SELECT DISTINCT region_code, request_type FROM hotline_tickets WHERE region_code = '640522'

-- @ regions-list
SELECT region_code, region_name, region_level FROM regions
-- county:
SELECT region_code, region_name, region_level FROM regions WHERE region_code IN ('640000', '640500', '640522')

-- @ avg-handling-days
SELECT region_code, AVG(date_diff('day', received_at, closed_at)) AS 平均办理天数 FROM hotline_tickets WHERE closed_at IS NOT NULL GROUP BY region_code
-- county:
SELECT region_code, AVG(date_diff('day', received_at, closed_at)) AS 平均办理天数 FROM hotline_tickets WHERE closed_at IS NOT NULL AND region_code = '640522' GROUP BY region_code

-- @ count-distinct-employers
SELECT region_code, COUNT(DISTINCT employer_name) AS 单位数 FROM hotline_tickets GROUP BY region_code
-- county:
SELECT region_code, COUNT(DISTINCT employer_name) AS 单位数 FROM hotline_tickets WHERE region_code = '640522' GROUP BY region_code

-- @ posts-by-type [posts]
SELECT post_type, COUNT(*) AS 阵地数量 FROM union_posts WHERE status <> '已撤销' GROUP BY post_type
-- county:
SELECT post_type, COUNT(*) AS 阵地数量 FROM union_posts WHERE status <> '已撤销' AND region_code = '640522' GROUP BY post_type

-- @ posts-by-city [posts]
SELECT c.region_code, c.region_name, COUNT(*) AS 阵地数量 FROM union_posts p JOIN regions r ON p.region_code = r.region_code JOIN regions c ON r.parent_code = c.region_code GROUP BY c.region_code, c.region_name
-- county:
SELECT c.region_code, c.region_name, COUNT(*) AS 阵地数量 FROM union_posts p JOIN regions r ON p.region_code = r.region_code JOIN regions c ON r.parent_code = c.region_code WHERE p.region_code = '640522' GROUP BY c.region_code, c.region_name

-- @ visits-this-year [posts]
SELECT SUM(v.visits) AS 服务人次 FROM post_monthly_visits v WHERE v.month >= DATE '2026-01-01'
-- county:
SELECT SUM(v.visits) AS 服务人次 FROM post_monthly_visits v WHERE v.month >= DATE '2026-01-01' AND v.post_id IN (SELECT post_id FROM union_posts WHERE region_code = '640522')

-- @ visits-by-post-region [posts]
SELECT p.region_code, SUM(v.visits) AS 服务人次 FROM post_monthly_visits v JOIN union_posts p ON v.post_id = p.post_id GROUP BY p.region_code
-- county:
SELECT p.region_code, SUM(v.visits) AS 服务人次 FROM post_monthly_visits v JOIN union_posts p ON v.post_id = p.post_id WHERE p.region_code = '640522' GROUP BY p.region_code

-- @ activities-by-type [posts]
SELECT activity_type, COUNT(*) AS 活动场次, SUM(participants) AS 参与人次 FROM post_activities WHERE held_on >= DATE '2025-01-01' GROUP BY activity_type
-- county:
SELECT activity_type, COUNT(*) AS 活动场次, SUM(participants) AS 参与人次 FROM post_activities WHERE held_on >= DATE '2025-01-01' AND post_id IN (SELECT post_id FROM union_posts WHERE region_code = '640522') GROUP BY activity_type

-- @ activities-left-join-posts [posts]
SELECT p.post_id, p.region_code, COUNT(a.activity_id) AS 活动场次 FROM union_posts p LEFT JOIN post_activities a ON a.post_id = p.post_id AND a.held_on >= DATE '2026-06-01' GROUP BY p.post_id, p.region_code
-- county:
SELECT p.post_id, p.region_code, COUNT(a.activity_id) AS 活动场次 FROM union_posts p LEFT JOIN post_activities a ON a.post_id = p.post_id AND a.held_on >= DATE '2026-06-01' WHERE p.region_code = '640522' GROUP BY p.post_id, p.region_code

-- @ members-by-county [posts]
SELECT o.region_code, SUM(o.member_count) AS 会员人数, COUNT(*) AS 基层工会数 FROM union_orgs o WHERE o.org_level = '基层工会' GROUP BY o.region_code
-- county:
WITH RECURSIVE sub(org_id) AS (SELECT org_id FROM union_orgs WHERE org_name = '海原县总工会' UNION ALL SELECT o.org_id FROM union_orgs o JOIN sub ON o.parent_org_id = sub.org_id) SELECT o.region_code, SUM(o.member_count) AS 会员人数, COUNT(*) AS 基层工会数 FROM union_orgs o WHERE o.org_level = '基层工会' AND o.org_id IN (SELECT org_id FROM sub) GROUP BY o.region_code

-- @ orgs-children [posts]
SELECT c.org_id, c.org_name, p.org_name AS parent FROM union_orgs c JOIN union_orgs p ON c.parent_org_id = p.org_id WHERE c.org_level IN ('县区总工会', '乡镇街道工会')
-- county:
WITH RECURSIVE sub(org_id) AS (SELECT org_id FROM union_orgs WHERE org_name = '海原县总工会' UNION ALL SELECT o.org_id FROM union_orgs o JOIN sub ON o.parent_org_id = sub.org_id) SELECT c.org_id, c.org_name, p.org_name AS parent FROM union_orgs c JOIN union_orgs p ON c.parent_org_id = p.org_id WHERE c.org_level IN ('县区总工会', '乡镇街道工会') AND c.org_id IN (SELECT org_id FROM sub) AND p.org_id IN (SELECT org_id FROM sub)

-- @ posts-honor-and-24h [posts]
SELECT region_code, honor_level, SUM(CASE WHEN open_24h THEN 1 ELSE 0 END) AS 全天开放, ROUND(AVG(area_sqm), 1) AS 平均面积 FROM union_posts WHERE honor_level IS NOT NULL GROUP BY region_code, honor_level
-- county:
SELECT region_code, honor_level, SUM(CASE WHEN open_24h THEN 1 ELSE 0 END) AS 全天开放, ROUND(AVG(area_sqm), 1) AS 平均面积 FROM union_posts WHERE honor_level IS NOT NULL AND region_code = '640522' GROUP BY region_code, honor_level

-- @ activities-cte-top-posts [posts]
WITH s AS (SELECT a.post_id, SUM(a.participants) AS total FROM post_activities a GROUP BY a.post_id) SELECT p.post_name, p.region_code, s.total FROM s JOIN union_posts p ON p.post_id = s.post_id ORDER BY s.total DESC, p.post_id LIMIT 10
-- county:
WITH s AS (SELECT a.post_id, SUM(a.participants) AS total FROM post_activities a WHERE a.post_id IN (SELECT post_id FROM union_posts WHERE region_code = '640522') GROUP BY a.post_id) SELECT p.post_name, p.region_code, s.total FROM s JOIN union_posts p ON p.post_id = s.post_id WHERE p.region_code = '640522' ORDER BY s.total DESC, p.post_id LIMIT 10

-- @ visits-month-series [posts]
SELECT strftime(month, '%Y-%m') AS 月份, SUM(visits) AS 服务人次 FROM post_monthly_visits WHERE month >= DATE '2025-07-01' GROUP BY 月份
-- county:
SELECT strftime(month, '%Y-%m') AS 月份, SUM(visits) AS 服务人次 FROM post_monthly_visits WHERE month >= DATE '2025-07-01' AND post_id IN (SELECT post_id FROM union_posts WHERE region_code = '640522') GROUP BY 月份
