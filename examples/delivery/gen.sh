#!/usr/bin/env bash
# examples/delivery/gen.sh OUT.db [CUSTOMERS] [AS_OF]: writes a facts
# database of the delivery company example with CUSTOMERS customers
# (default 500) and a year of history before AS_OF (default 2026-11-15).
# The data is random but repeatable (a fixed linear congruential sequence,
# not SQLite's random()), so two runs give the same database.
set -eu
out=$1
n=${2:-500}
as_of=${3:-2026-11-15}
case "$n" in ''|*[!0-9]*) echo "gen.sh: CUSTOMERS must be a number" >&2; exit 2 ;; esac
case "$as_of" in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;; *) echo "gen.sh: AS_OF is YYYY-MM-DD" >&2; exit 2 ;; esac
mkdir -p "$(dirname "$out")"   # build/examples/delivery/ in a fresh clone
rm -f "$out"
sqlite3 "$out" < "$(dirname "$0")/schema.sql"
sqlite3 "$out" <<SQL
BEGIN;
-- r(i, k): a repeatable pseudo-random number in 0..999 for row i, stream k
CREATE TEMP VIEW seq AS
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n * 12) SELECT i FROM s;
CREATE TEMP TABLE rnd AS
  SELECT i, ((i * 1103515245 + 12345) % 2147483648) % 1000 AS a,
            ((i * 69069 + 1) % 4294967296) % 1000 AS b,
            ((i * 214013 + 2531011) % 4294967296) % 1000 AS c
  FROM seq;
INSERT INTO staff VALUES ('S1', '张经理'), ('S2', '李经理'), ('S3', '王经理'), ('S4', '赵经理');
INSERT INTO depots VALUES ('D-north', '北站', 'S1'), ('D-south', '南站', 'S2'),
  ('D-east', '东站', 'S3'), ('D-west', '西站', 'S4');
INSERT INTO customers
  SELECT printf('K%05d', i), printf('客户%d', i),
         CASE WHEN a < 15 THEN NULL ELSE
           CASE b % 4 WHEN 0 THEN 'D-east' WHEN 1 THEN 'D-north' WHEN 2 THEN 'D-south'
           ELSE 'D-west' END END,
         printf('139%08d', i * 7919 % 100000000),
         date('$as_of', printf('%+d days', -(30 + c * 2)))
  FROM rnd WHERE i <= $n;
-- shipments: a customer in ten ships heavily, most now and then, some never
INSERT INTO shipments (customer_id, shipped_on, parcels)
  SELECT printf('K%05d', 1 + i % $n), date('$as_of', printf('%+d days', -((a * 7 + b) % 360))),
         CASE WHEN (1 + i % $n) % 10 = 0 THEN 40 + b % 60 ELSE 1 + c % 12 END
  FROM rnd WHERE (1 + i % $n) % 7 <> 3;
INSERT INTO contacts (customer_id, day, channel)
  SELECT printf('K%05d', 1 + i % $n), date('$as_of', printf('%+d days', -((b * 3 + c) % 200))),
         CASE a % 4 WHEN 0 THEN 'phone' WHEN 1 THEN 'mail' WHEN 2 THEN 'sms' ELSE 'visit' END
  FROM rnd WHERE i <= $n * 3 AND a % 5 <> 0;
INSERT INTO complaints
  SELECT printf('Q%06d', i), printf('K%05d', 1 + (i * 31) % $n),
         date('$as_of', printf('%+d days', -(a % 60))),
         CASE WHEN b < 700 THEN date('$as_of', printf('%+d days', -(a % 60 - (b % 3) - 1))) END
  FROM rnd WHERE i <= $n / 5;
UPDATE complaints SET resolved_on = NULL WHERE resolved_on > '$as_of';
INSERT INTO surveys (customer_id, answered_on, score)
  SELECT printf('K%05d', 1 + (i * 17) % $n), date('$as_of', printf('%+d days', -((a + c) % 330))),
         1 + b % 5
  FROM rnd WHERE i <= $n / 2;
INSERT INTO invoices
  SELECT printf('F%07d', i), printf('K%05d', 1 + i % $n),
         date('$as_of', printf('%+d days', -((a * 3) % 300 + 10))),
         date('$as_of', printf('%+d days', -((a * 3) % 300 - 20))),
         CASE WHEN c < 900 THEN date('$as_of', printf('%+d days', -((a * 3) % 300 - 25 + c % 40))) END,
         round(200 + (b * 37 + c) % 20000 + c / 100.0, 2)
  FROM rnd WHERE i <= $n * 4;
UPDATE invoices SET paid_on = NULL WHERE paid_on > '$as_of';
INSERT INTO agreements
  SELECT printf('A%05d', i), printf('K%05d', i), date('$as_of', printf('%+d days', -(60 + a))),
         CASE WHEN b < 600 THEN date('$as_of', printf('%+d days', -(c % 420))) END,
         date('$as_of', printf('%+d days', (b % 400) - 30))
  FROM rnd WHERE i <= $n AND a % 3 <> 0;
COMMIT;
SQL
