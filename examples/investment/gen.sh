#!/usr/bin/env bash
# examples/investment/gen.sh OUT.db [INVESTORS] [AS_OF]: writes a facts
# database of the investment company example with INVESTORS investors
# (default 500) and two years of history before AS_OF (default 2026-11-15).
# The data is random but repeatable (fixed linear congruential sequences).
set -eu
out=$1
n=${2:-500}
as_of=${3:-2026-11-15}
case "$n" in ''|*[!0-9]*) echo "gen.sh: INVESTORS must be a number" >&2; exit 2 ;; esac
case "$as_of" in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;; *) echo "gen.sh: AS_OF is YYYY-MM-DD" >&2; exit 2 ;; esac
mkdir -p "$(dirname "$out")"
rm -f "$out"
sqlite3 "$out" < "$(dirname "$0")/schema.sql"
sqlite3 "$out" <<SQL
BEGIN;
CREATE TEMP VIEW seq AS
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n * 6) SELECT i FROM s;
CREATE TEMP TABLE rnd AS
  SELECT i, ((i * 1103515245 + 12345) % 2147483648) % 1000 AS a,
            ((i * 69069 + 1) % 4294967296) % 1000 AS b,
            ((i * 214013 + 2531011) % 4294967296) % 1000 AS c
  FROM seq;
INSERT INTO staff VALUES ('A1', '陈顾问'), ('A2', '林顾问'), ('A3', '周顾问');
INSERT INTO investors
  SELECT printf('I%05d', i), printf('投资者%d', i), printf('A%d', 1 + b % 3),
         CASE WHEN a < 20 THEN NULL
              ELSE date('$as_of', printf('%+d days', -(9000 + (a * 31 + c) % 18000))) END,
         printf('137%08d', i * 104729 % 100000000),
         date('$as_of', printf('%+d days', -(200 + c)))
  FROM rnd WHERE i <= $n;
INSERT INTO assessments (investor_id, assessed_on, risk_level)
  SELECT printf('I%05d', 1 + i % $n), date('$as_of', printf('%+d days', -((a * 3 + b) % 900))),
         1 + c % 5
  FROM rnd WHERE i <= $n * 2 AND b % 9 <> 0;
INSERT INTO sales (investor_id, sold_on, product, product_risk, amount)
  SELECT printf('I%05d', 1 + (i * 7) % $n), date('$as_of', printf('%+d days', -((a + c) % 700))),
         printf('P%02d', a % 40), 1 + (a + b) % 5,
         round(CASE WHEN b < 50 THEN 2000000 + a * 10000 ELSE 10000 + a * 500 END + c / 100.0, 2)
  FROM rnd WHERE i <= $n * 3;
INSERT INTO disclosures (investor_id, sale_id, signed_on)
  SELECT investor_id, id, date(sold_on, printf('%+d days', CASE WHEN id % 23 = 0 THEN 2 ELSE -(id % 3) END))
  FROM sales WHERE id % 31 <> 0;
DELETE FROM disclosures WHERE signed_on > '$as_of';
INSERT INTO contacts (investor_id, day, kind)
  SELECT investor_id, date(sold_on, printf('+%d days', id % 9)), 'revisit'
  FROM sales WHERE id % 5 <> 0 AND date(sold_on, printf('+%d days', id % 9)) <= '$as_of';
INSERT INTO contacts (investor_id, day, kind)
  SELECT printf('I%05d', 1 + i % $n), date('$as_of', printf('%+d days', -((b * 7 + c) % 300))),
         CASE a % 2 WHEN 0 THEN 'call' ELSE 'visit' END
  FROM rnd WHERE i <= $n * 2;
COMMIT;
SQL
