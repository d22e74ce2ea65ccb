#!/usr/bin/env bash
# examples/broker/gen.sh OUT.db [CLIENTS] [AS_OF]: writes a facts database of
# the insurance broker example with CLIENTS ordinary policyholders (default
# 150), a year and a half of calls and claims before AS_OF (default
# 2026-11-15), and twenty clients E01..E20 on the policy's boundaries. The
# data is repeatable (computed from the row number, not SQLite's random()).
set -eu
out=$1
n=${2:-150}
as_of=${3:-2026-11-15}
case "$n" in ''|*[!0-9]*) echo "gen.sh: CLIENTS must be a number" >&2; exit 2 ;; esac
case "$as_of" in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;; *) echo "gen.sh: AS_OF is YYYY-MM-DD" >&2; exit 2 ;; esac
mkdir -p "$(dirname "$out")"   # build/examples/broker/ in a fresh clone
rm -f "$out"
sqlite3 "$out" < "$(dirname "$0")/schema.sql"
# d(k): AS_OF moved by k days
sqlite3 "$out" <<SQL
BEGIN;
INSERT INTO staff (id, name, role, manager_id, active, capacity) VALUES
 ('BM1', 'Brigitte Manager', 'branch_manager', NULL, 1, NULL),
 ('HC1', 'Hans Claims', 'head_of_claims', 'BM1', 1, NULL),
 ('TL1', 'Tara Lead', 'team_lead', 'BM1', 1, NULL),
 ('TL2', 'Tom Lead', 'team_lead', 'BM1', 1, NULL),
 ('B01', 'Anna Broker', 'broker', 'TL1', 1, $n / 20),
 ('B02', 'Ben Broker', 'broker', 'TL1', 1, $n / 20),
 ('B03', 'Cleo Broker', 'broker', 'TL2', 1, $n / 20),
 ('B04', 'Dan Broker', 'broker', 'TL2', 1, $n / 15),
 ('B05', 'Eve Broker', 'broker', 'TL2', 0, 10),     -- left: her clients need a broker
 ('B06', 'Finn Broker', 'broker', NULL, 1, $n / 15); -- no team lead: the branch manager

-- ordinary clients P0001.. : a fifth corporate, two fifths SME, the rest retail;
-- every 35th (corporate) without a renewal date, every 29th lapsed
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
INSERT INTO clients (id, name, segment, premium, renewal_date, broker_id, status, created_on)
SELECT printf('P%04d', i), printf('Client %04d', i),
       CASE i % 5 WHEN 0 THEN 'corporate' WHEN 1 THEN 'SME' WHEN 2 THEN 'SME' ELSE 'retail' END,
       CASE i % 5 WHEN 0 THEN 40000 + (i * 937) % 90000
                  WHEN 1 THEN 8000 + (i * 7919) % 60000
                  WHEN 2 THEN 5000 + (i * 131) % 20000
                  ELSE 300 + (i * 53) % 4000 END + 0.25,
       CASE WHEN i % 35 = 0 THEN NULL ELSE date('$as_of', printf('%+d days', (i * 37) % 365)) END,
       printf('B%02d', 1 + i % 6),
       CASE WHEN i % 29 = 0 THEN 'lapsed' ELSE 'active' END,
       date('$as_of', printf('%+d days', -(100 + (i * 7) % 2000)))
FROM s;

WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n * 3)
INSERT INTO calls (id, client_id, called_on, staff_id, outcome)
SELECT printf('K%06d', i), printf('P%04d', 1 + (i * 17) % $n),
       date('$as_of', printf('%+d days', -((i * 13) % 200))),
       printf('B%02d', 1 + i % 6),
       CASE i % 7 WHEN 0 THEN 'no_answer' WHEN 1 THEN 'voicemail' ELSE 'reached' END
FROM s;

WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n * 3 / 2)
INSERT INTO claims (id, client_id, claimed_on, amount, status)
SELECT printf('CL%06d', i), printf('P%04d', 1 + (i * 23) % $n),
       date('$as_of', printf('%+d days', -((i * 11) % 500))),
       100 + (i * 211) % 15000 + 0.5,
       CASE i % 6 WHEN 0 THEN 'open' WHEN 1 THEN 'rejected' WHEN 2 THEN 'rejected' ELSE 'closed' END
FROM s;

-- the boundaries, E01..E20
INSERT INTO clients (id, name, segment, premium, renewal_date, broker_id, status, created_on) VALUES
 ('E01', 'No rows at all',          'retail',    1000,     date('$as_of', '+200 days'), 'B01', 'active', date('$as_of', '-300 days')),
 ('E02', 'Premium exactly 50k',     'SME',       50000.00, date('$as_of', '+200 days'), 'B02', 'active', '2020-01-01'),
 ('E03', 'Premium just under 50k',  'SME',       49999.99, date('$as_of', '+200 days'), 'B02', 'active', '2020-01-01'),
 ('E04', 'Null everything',         NULL,        NULL,     NULL,                        NULL,  'active', '2020-01-01'),
 ('E05', 'Corporate no broker',     'corporate', 20000,    date('$as_of', '+100 days'), NULL,  'active', '2020-01-01'),
 ('E06', 'Corporate broker gone',   'corporate', 70000,    date('$as_of', '+100 days'), 'B05', 'active', '2020-01-01'),
 ('E07', 'Corporate unknown broker','corporate', 70000,    date('$as_of', '+100 days'), 'ZZZ', 'active', '2020-01-01'),
 ('E08', 'Renewal in 45 days',      'retail',    900,      date('$as_of', '+45 days'),  'B03', 'active', '2020-01-01'),
 ('E09', 'Renewal in 46 days',      'retail',    900,      date('$as_of', '+46 days'),  'B03', 'active', '2020-01-01'),
 ('E10', 'Renewal today',           'retail',    900,      '$as_of',                    'B03', 'active', '2020-01-01'),
 ('E11', 'Renewal yesterday',       'retail',    900,      date('$as_of', '-1 days'),   'B03', 'active', '2020-01-01'),
 ('E12', 'Renewal soon, call 14d',  'retail',    900,      date('$as_of', '+16 days'),  'B04', 'active', '2020-01-01'),
 ('E13', 'Renewal soon, call 13d',  'retail',    900,      date('$as_of', '+16 days'),  'B04', 'active', '2020-01-01'),
 ('E14', 'Key call 30 days ago',    'corporate', 90000,    date('$as_of', '+290 days'), 'B04', 'active', '2020-01-01'),
 ('E15', 'Key call 29 days ago',    'corporate', 90000,    date('$as_of', '+290 days'), 'B04', 'active', '2020-01-01'),
 ('E16', 'Claims 20/21/60/61 days', 'SME',       10000,    date('$as_of', '+290 days'), 'B01', 'active', '2020-01-01'),
 ('E17', 'Rejected 3 in 365',       'retail',    700,      date('$as_of', '+290 days'), 'B06', 'active', '2020-01-01'),
 ('E18', 'Rejected one at 365d',    'retail',    700,      date('$as_of', '+290 days'), 'B06', 'active', '2020-01-01'),
 ('E19', 'Lapsed, open claim',      'retail',    700,      date('$as_of', '+290 days'), 'B06', 'lapsed', '2020-01-01'),
 ('E20', 'Created tomorrow',        'corporate', 99000,    date('$as_of', '+290 days'), NULL,  'active', date('$as_of', '+1 days'));

INSERT INTO calls (id, client_id, called_on, staff_id, outcome) VALUES
 ('KE12',  'E12', date('$as_of', '-14 days'), 'B04', 'reached'),
 ('KE13',  'E13', date('$as_of', '-13 days'), 'B04', 'reached'),
 ('KE14',  'E14', date('$as_of', '-30 days'), 'B04', 'reached'),
 ('KE15',  'E15', date('$as_of', '-29 days'), 'B04', 'voicemail'),
 ('KE15b', 'E15', date('$as_of', '-5 days'),  'B04', 'no_answer'),
 ('KE16',  'E16', date('$as_of', '-5 days'),  'B01', NULL),
 ('KE19',  'E19', date('$as_of', '+5 days'),  'B06', 'reached');

INSERT INTO claims (id, client_id, claimed_on, amount, status) VALUES
 ('CE16a', 'E16', date('$as_of', '-20 days'), 1200.00, 'open'),
 ('CE16b', 'E16', date('$as_of', '-21 days'), 1300.00, 'open'),
 ('CE16c', 'E16', date('$as_of', '-60 days'), NULL,    'open'),
 ('CE16d', 'E16', date('$as_of', '-61 days'), 5000.00, 'open'),
 ('CE17a', 'E17', date('$as_of', '-364 days'), 100, 'rejected'),
 ('CE17b', 'E17', date('$as_of', '-200 days'), 100, 'rejected'),
 ('CE17c', 'E17', '$as_of',                    100, 'rejected'),
 ('CE18a', 'E18', date('$as_of', '-365 days'), 100, 'rejected'),
 ('CE18b', 'E18', date('$as_of', '-200 days'), 100, 'rejected'),
 ('CE18c', 'E18', '$as_of',                    100, 'rejected'),
 ('CE19',  'E19', date('$as_of', '-300 days'), 100, 'open');
COMMIT;
SQL
