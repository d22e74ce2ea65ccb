-- policy.sql: the reference policy's alert rules (rules/POLICY.md) as plain SQL for sqlite3.
--
-- What a user would write instead of crmpolicy: the benchmarks' "plain SQL" baseline,
-- and the other side of the differential test (test_differential.sh). It covers every
-- alert rule but staffing.unfilled, and of the assignments tier.review; not staffing,
-- whose proposals depend on those made to earlier clients in the same run.
--
-- Input: the facts database (read only; everything written is TEMP) and a one-row
-- table params(as_of) with the as-of date D that the caller creates first:
--   sqlite3 -bail -readonly facts.db \
--     "CREATE TEMP TABLE params AS SELECT '2026-11-15' AS as_of" ".read tests/bench/policy.sql"
-- Output: TEMP table policy_alerts(rule, client_id, key, severity, level, assignee),
-- printed at the end (list mode: rule|client_id|key|severity|level|assignee), and
-- TEMP table policy_reviews(rule, client_id, key, kind, assignee, from_tier, to_tier,
-- sales12, share): the tier.review proposals with their data.
--
-- Conventions, as rules/POLICY.md and the engine have them:
-- * Times are compared in whole seconds: unixepoch() reads 'T' or ' ' separators and a
--   bare date (00:00:00), and drops fractional seconds. now = D 23:59:59, so
--   hours_since(t) >= H is exactly now - t >= H * 3600 (no julianday rounding).
-- * Dates are the first 10 characters (a timestamp in a date column keeps its date
--   part), compared as text or as day numbers (unixepoch / 86400).
-- * Money is summed in whole cents, each amount rounded half away from zero as it was
--   written, as the engine does: k = the whole cents of abs(amount) * 100; the half
--   cent above them, as written, reads back as the double (k + 0.5) / 100.0, so an
--   amount above that is rounded up (away from zero), one below it down; one equal to
--   it is rounded on the third decimal of its shortest decimal text (printf '%.15g',
--   else '%.16g': from 2^43 yuan on, a half and a decimal beside it are one double).
--   CAST(round(amount * 100) AS INTEGER) alone is wrong for x.xx5 amounts whose
--   binary value lies below the half; the amount's decimal text (printf) is wrong for
--   a double that takes 17 digits to write (3999999.999 * 5 is 19999999.994999997).
-- * Nothing dated after now exists; first_response_at, resolved_at and delivered_on
--   after now read as empty; closed clients and clients created after D are not
--   evaluated. Text values are compared case-sensitively (BINARY).
-- * Malformed values are not handled (the engine reports and skips them).

-- The run: D as text and as a day number, and now in seconds.
CREATE TEMP TABLE as_of_check (
  ok INTEGER CONSTRAINT "params must hold one as_of date YYYY-MM-DD" CHECK (ok));
INSERT INTO as_of_check
  SELECT (SELECT count(*) FROM params) = 1 AND (SELECT as_of IS date(as_of) FROM params);
CREATE TEMP TABLE run AS
  SELECT as_of AS d, unixepoch(as_of) / 86400 AS dday, unixepoch(as_of || 'T23:59:59') AS now,
         date(as_of, '-365 days') AS sales_from, date(as_of, '-90 days') AS due_from
  FROM params;

-- Staff: vp, gm, and for every member mgr(s) (its manager when active, else vp).
CREATE TEMP TABLE top AS
  SELECT (SELECT min(id) FROM staff WHERE active = 1 AND role = 'marketing_vp') AS vp,
         (SELECT min(id) FROM staff WHERE active = 1 AND role = 'general_manager') AS gm;
CREATE TEMP TABLE people AS
  SELECT s.id, s.active = 1 AS active, coalesce(m.id, top.vp) AS mgr
  FROM staff s LEFT JOIN staff m ON m.id = s.manager_id AND m.active = 1, top;
CREATE UNIQUE INDEX temp.people_id ON people(id);

-- sales12 per client id (known or not), in cents; total12 is their sum.
CREATE TEMP TABLE sales AS
  WITH w AS (
    SELECT client_id, amount, CAST(abs(amount) * 100 AS INTEGER) AS k
    FROM orders, run
    WHERE substr(ordered_on, 1, 10) > run.sales_from AND substr(ordered_on, 1, 10) <= run.d),
  t AS (
    SELECT client_id, amount, k,
           CASE WHEN abs(amount) = (k + 0.5) / 100.0   -- the half's double: by its text
                THEN CASE WHEN CAST(printf('%.15g', abs(amount)) AS REAL) = abs(amount)
                          THEN printf('%.15g', abs(amount)) ELSE printf('%.16g', abs(amount))
                     END END AS half
    FROM w)
  SELECT client_id,
         sum((CASE WHEN amount < 0 THEN -1 ELSE 1 END)
             * CASE WHEN half IS NULL THEN k + (abs(amount) > (k + 0.5) / 100.0)
                    ELSE CAST(substr(half, 1, instr(half || '.', '.') - 1) AS INTEGER) * 100
                         + CAST(substr(half || '.00', instr(half || '.', '.') + 1, 2) AS INTEGER)
                         + (substr(half || '.000', instr(half || '.', '.') + 3, 1) >= '5')
               END) AS cents
  FROM t GROUP BY client_id;
CREATE UNIQUE INDEX temp.sales_client ON sales(client_id);
CREATE TEMP TABLE total AS SELECT coalesce(sum(cents), 0) AS total12 FROM sales;

-- staff_for(role) for the roles the rules ask about: the current rows (since <= D,
-- until empty or after D, member active), the latest since, then the smallest id.
CREATE TEMP TABLE staff_for AS
  SELECT client_id, role, staff_id FROM (
    SELECT cs.client_id, cs.role, cs.staff_id,
           row_number() OVER (PARTITION BY cs.client_id, cs.role
                              ORDER BY substr(cs.since, 1, 10) DESC, cs.staff_id) AS n
    FROM client_staff cs JOIN staff s ON s.id = cs.staff_id AND s.active = 1, run
    WHERE cs.role IN ('key_account_manager', 'service_engineer')
      AND substr(cs.since, 1, 10) <= run.d
      AND (cs."until" IS NULL OR substr(cs."until", 1, 10) > run.d))
  WHERE n = 1;
CREATE UNIQUE INDEX temp.staff_for_client ON staff_for(client_id, role);

-- The clients evaluated, with their derived facts: sales12, the computed tier (from
-- partner, sales12 and share), tier (approved when it is a tier name, else computed),
-- responsible (kam or vp), mgr(kam), the service engineer; created as a day number.
CREATE TEMP TABLE dc AS
  WITH c AS (
    SELECT cl.id, unixepoch(substr(cl.created_on, 1, 10)) / 86400 AS created,
           cl.approved_tier AS approved, coalesce(s.cents, 0) AS sales12,
           CASE WHEN cl.strategic_partner = 1
                     OR (t.total12 <> 0 AND 1.0 * coalesce(s.cents, 0) / t.total12 > 0.05)
                  THEN 'strategic'
                WHEN coalesce(s.cents, 0) >= 2000000000
                     OR (t.total12 <> 0 AND 1.0 * coalesce(s.cents, 0) / t.total12 > 0.03)
                  THEN 'key'
                WHEN coalesce(s.cents, 0) >= 500000000 THEN 'major'
                ELSE 'general' END AS computed
    FROM clients cl LEFT JOIN sales s ON s.client_id = cl.id, total t, run
    WHERE cl.status <> 'closed' AND substr(cl.created_on, 1, 10) <= run.d)
  SELECT c.id, c.created, c.sales12, c.approved, c.computed,
         CASE WHEN c.approved IN ('strategic', 'key', 'major', 'general') THEN c.approved
              ELSE c.computed END AS tier,
         coalesce(k.staff_id, top.vp) AS responsible, coalesce(pk.mgr, top.vp) AS mgr_kam,
         se.staff_id AS service
  FROM c
  LEFT JOIN staff_for k ON k.client_id = c.id AND k.role = 'key_account_manager'
  LEFT JOIN people pk ON pk.id = k.staff_id
  LEFT JOIN staff_for se ON se.client_id = c.id AND se.role = 'service_engineer', top;
CREATE UNIQUE INDEX temp.dc_id ON dc(id);

-- The latest contact (seconds) by client and level, among contacts dated up to now.
CREATE TEMP TABLE last_contact AS
  SELECT client_id, level, max(t) AS t
  FROM (SELECT client_id, level, unixepoch(happened_at) AS t FROM contacts), run
  WHERE t <= run.now GROUP BY client_id, level;
CREATE UNIQUE INDEX temp.last_contact_client ON last_contact(client_id, level);

CREATE TEMP TABLE policy_alerts (rule TEXT, client_id TEXT, key TEXT, severity TEXT,
                                 level INTEGER, assignee TEXT);

-- visit.*: days since the latest contact of the level (or created_on) against the
-- tier's interval: level 2 from twice the interval.
CREATE TEMP TABLE visit_interval (tier TEXT, level TEXT, days INTEGER);
INSERT INTO visit_interval VALUES
  ('strategic', 'executive', 182), ('strategic', 'account', 31), ('strategic', 'technical', 182),
  ('strategic', 'quality', 92), ('key', 'executive', 365), ('key', 'account', 61),
  ('key', 'quality', 182), ('major', 'account', 92);
INSERT INTO policy_alerts
  SELECT 'visit.' || level, id, '',
         CASE WHEN age >= 2 * days THEN 'critical' ELSE 'warning' END,
         CASE WHEN age >= 2 * days THEN 2 ELSE 1 END,
         CASE WHEN age >= 2 * days THEN mgr_kam ELSE responsible END
  FROM (SELECT dc.id, dc.responsible, dc.mgr_kam, vi.level, vi.days,
               run.dday - coalesce(lc.t / 86400, dc.created) AS age
        FROM dc JOIN visit_interval vi ON vi.tier = dc.tier
        LEFT JOIN last_contact lc ON lc.client_id = dc.id AND lc.level = vi.level, run)
  WHERE age >= days;

-- contact.dormant: no contact of any level (or since created_on) for 180 days.
-- client.onboarding: 7 to 30 days old and no contact at all.
INSERT INTO policy_alerts
  SELECT 'contact.dormant', id, '', 'warning', 1, responsible
  FROM (SELECT dc.id, dc.responsible,
               run.dday - coalesce((SELECT max(t) FROM last_contact WHERE client_id = dc.id)
                                   / 86400, dc.created) AS age
        FROM dc, run)
  WHERE age >= 180;
INSERT INTO policy_alerts
  SELECT 'client.onboarding', dc.id, '', 'warning', 1, dc.responsible
  FROM dc, run
  WHERE run.dday - dc.created BETWEEN 7 AND 30
    AND NOT EXISTS (SELECT 1 FROM last_contact WHERE client_id = dc.id);

-- Complaints dated up to now, of clients evaluated: answered and resolved as of now,
-- hours open in seconds, owner (owner_id when active, else responsible) and mgr(owner).
CREATE TEMP TABLE k AS
  SELECT x.*, coalesce(pm.mgr, top.vp) AS mgr_owner FROM (
    SELECT cp.client_id, cp.id, run.now - unixepoch(cp.opened_at) AS open_s,
           coalesce(unixepoch(cp.first_response_at) <= run.now, 0) AS answered,
           CASE WHEN unixepoch(cp.resolved_at) <= run.now THEN unixepoch(cp.resolved_at) END
             AS resolved,
           dc.tier, dc.service, coalesce(po.id, dc.responsible) AS owner
    FROM complaints cp JOIN dc ON dc.id = cp.client_id
    LEFT JOIN people po ON po.id = cp.owner_id AND po.active, run
    WHERE unixepoch(cp.opened_at) <= run.now) x
  LEFT JOIN people pm ON pm.id = x.owner, top;

-- complaint.response: neither answered nor resolved; T = 12 h for strategic, else 24.
INSERT INTO policy_alerts
  SELECT 'complaint.response', client_id, id,
         CASE WHEN open_s >= (t + 48) * 3600 THEN 'critical' ELSE 'warning' END,
         CASE WHEN open_s >= (t + 48) * 3600 THEN 3
              WHEN open_s >= (t + 24) * 3600 THEN 2 ELSE 1 END,
         CASE WHEN open_s >= (t + 48) * 3600 THEN top.vp
              WHEN open_s >= (t + 24) * 3600 THEN mgr_owner ELSE owner END
  FROM (SELECT *, CASE WHEN tier = 'strategic' THEN 12 ELSE 24 END AS t FROM k
        WHERE NOT answered AND resolved IS NULL), top
  WHERE open_s >= t * 3600;

-- complaint.resolution: answered, not resolved, for 168 h (336 h: level 2).
INSERT INTO policy_alerts
  SELECT 'complaint.resolution', client_id, id,
         CASE WHEN open_s >= 336 * 3600 THEN 'critical' ELSE 'warning' END,
         CASE WHEN open_s >= 336 * 3600 THEN 2 ELSE 1 END,
         CASE WHEN open_s >= 336 * 3600 THEN mgr_owner ELSE owner END
  FROM k WHERE answered AND resolved IS NULL AND open_s >= 168 * 3600;

-- complaint.callback: strategic or key; resolved 168 to 720 h ago and no service
-- contact within 168 h after the resolution.
INSERT INTO policy_alerts
  SELECT 'complaint.callback', k.client_id, k.id, 'warning', 1, coalesce(k.service, k.owner)
  FROM k, run
  WHERE k.tier IN ('strategic', 'key') AND k.resolved IS NOT NULL
    AND run.now - k.resolved BETWEEN 168 * 3600 AND 720 * 3600
    AND NOT EXISTS (SELECT 1 FROM contacts x
                    WHERE x.client_id = k.client_id AND x.level = 'service'
                      AND unixepoch(x.happened_at) BETWEEN k.resolved AND k.resolved + 168 * 3600);

-- survey.due: strategic or key, no survey in the last 365 days. survey.low_score: the
-- latest survey of those days (latest surveyed_on, then largest id) scored 6 or less.
CREATE TEMP TABLE latest_survey AS
  SELECT client_id, id, score FROM (
    SELECT client_id, id, score,
           row_number() OVER (PARTITION BY client_id
                              ORDER BY substr(surveyed_on, 1, 10) DESC, id DESC) AS n
    FROM surveys, run
    WHERE substr(surveyed_on, 1, 10) > run.sales_from AND substr(surveyed_on, 1, 10) <= run.d)
  WHERE n = 1;
CREATE UNIQUE INDEX temp.latest_survey_client ON latest_survey(client_id);
INSERT INTO policy_alerts
  SELECT 'survey.due', dc.id, '', 'info', 1, dc.responsible
  FROM dc WHERE dc.tier IN ('strategic', 'key')
    AND NOT EXISTS (SELECT 1 FROM latest_survey s WHERE s.client_id = dc.id);
INSERT INTO policy_alerts
  SELECT 'survey.low_score', dc.id, s.id, 'warning', 1, dc.mgr_kam
  FROM latest_survey s JOIN dc ON dc.id = s.client_id WHERE s.score <= 6;

-- credit.risk: the credit row (assessed up to D, or undated) rates C or is overdue
-- more than 90 days: critical for strategic and key clients, else a warning.
INSERT INTO policy_alerts
  SELECT 'credit.risk', dc.id, '',
         CASE WHEN dc.tier IN ('strategic', 'key') THEN 'critical' ELSE 'warning' END, 1,
         dc.responsible
  FROM credit cr JOIN dc ON dc.id = cr.client_id, run
  WHERE (cr.assessed_on IS NULL OR substr(cr.assessed_on, 1, 10) <= run.d)
    AND (cr.rating = 'C' OR cr.overdue_days > 90);

-- delivery.on_time: strategic; of the orders (dated up to D) due in the last 90 days
-- and delivered by D, at least 5, and fewer than 95% delivered by their due date.
INSERT INTO policy_alerts
  SELECT 'delivery.on_time', id, '', 'warning', 1, responsible FROM (
    SELECT dc.id, dc.responsible, count(*) AS n,
           sum(substr(o.delivered_on, 1, 10) <= substr(o.due_on, 1, 10)) AS on_time
    FROM dc JOIN orders o ON o.client_id = dc.id, run
    WHERE dc.tier = 'strategic' AND substr(o.ordered_on, 1, 10) <= run.d
      AND substr(o.due_on, 1, 10) > run.due_from AND substr(o.due_on, 1, 10) <= run.d
      AND substr(o.delivered_on, 1, 10) <= run.d
    GROUP BY dc.id, dc.responsible)
  WHERE n >= 5 AND on_time * 100 < 95 * n;

-- tier.review: approve the computed tier when it differs from the approved one, or
-- when a strategic or key client has none; the general manager decides. The share
-- in basis points, rounded half up (rules/tier.lua).
CREATE TEMP TABLE policy_reviews AS
  SELECT 'tier.review' AS rule, dc.id AS client_id, '' AS key, 'tier_approval' AS kind,
         top.gm AS assignee, dc.approved AS from_tier, dc.computed AS to_tier, dc.sales12,
         CASE WHEN t.total12 = 0 THEN 0
              ELSE CAST(1.0 * dc.sales12 / t.total12 * 10000 + 0.5 AS INTEGER) END AS share
  FROM dc, top, total t
  WHERE CASE WHEN dc.approved IS NULL THEN dc.computed IN ('strategic', 'key')
             ELSE dc.approved <> dc.computed END;

SELECT rule, client_id, key, severity, level, assignee FROM policy_alerts;
