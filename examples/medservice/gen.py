#!/usr/bin/env python3
"""gen.py OUT.db [N] [AS_OF]: deterministic facts for the medservice policy.

N customers (default 3000) of a medical-equipment service firm, with machines,
tickets and visits dated up to AS_OF (default 2026-11-15), their account and
service managers and field engineers with certifications. The same arguments
always give the same database. Besides the random customers it adds five on
known boundaries (X01..X05, examples/medservice/POLICY.md), whose results tests check exactly.
"""
import datetime as dt
import os
import random
import sqlite3
import sys

REGIONS = ["north", "south", "east", "west"]
MODALITIES = ["CT", "MRI", "US"]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen.py OUT.db [N] [AS_OF]")
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    as_of = dt.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else dt.date(2026, 11, 15)
    rnd = random.Random(20261115)
    if os.path.exists(out):
        os.remove(out)
    db = sqlite3.connect(out)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.sql")) as f:
        db.executescript(f.read())

    def day(d):
        return d.isoformat()

    def ts(d, seconds):
        return (dt.datetime(d.year, d.month, d.day) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")

    # staff: a service manager per region, account managers, engineers
    staff, certs = [], []
    for i, r in enumerate(REGIONS):
        staff.append((f"SM{i + 1}", f"Service manager {r}", "service_manager", r, None, 1))
    n_am = max(4, n // 60)
    for i in range(n_am):
        staff.append((f"AM{i + 1:03d}", f"Account manager {i + 1}", "account_manager",
                      REGIONS[i % 4], None, 1))
    n_eng = max(8, n // 120)
    for i in range(n_eng):
        eid = f"EN{i + 1:03d}"
        active = 0 if rnd.random() < 0.05 else 1
        staff.append((eid, f"Engineer {i + 1}", "engineer", REGIONS[i % 4], rnd.choice([1, 2, 3]), active))
        mods = [m for m in MODALITIES if rnd.random() < 0.45] or [rnd.choice(MODALITIES)]
        for m in mods:
            until = None
            if rnd.random() < 0.1:
                until = day(as_of - dt.timedelta(days=rnd.randint(1, 200)))  # lapsed
            certs.append((f"CE{len(certs) + 1:05d}", eid, m, until))
    db.executemany("INSERT INTO staff VALUES (?,?,?,?,?,?)", staff)
    db.executemany("INSERT INTO certifications VALUES (?,?,?,?)", certs)
    ams = [s[0] for s in staff if s[2] == "account_manager"]

    customers, machines, tickets, visits = [], [], [], []
    for i in range(n):
        cid = f"C{i + 1:05d}"
        region = REGIONS[rnd.randrange(4)]
        tier = rnd.choices(["platinum", "gold", "silver"], [1, 3, 6])[0]
        kind = "hospital" if rnd.random() < 0.4 else "clinic"
        status = "ended" if rnd.random() < 0.05 else "active"
        created = as_of - dt.timedelta(days=rnd.randint(30, 3000))
        end = as_of + dt.timedelta(days=rnd.randint(-60, 900))
        customers.append((cid, f"{kind.title()} {i + 1}", kind, region, tier, status, day(end),
                          rnd.choice(ams), day(created)))
        n_m = rnd.randint(1, 6 if kind == "hospital" else 2)
        mids = []
        for k in range(n_m):
            mid = f"{cid}-M{k + 1}"
            mod = rnd.choice(MODALITIES)
            installed = created + dt.timedelta(days=rnd.randint(0, 200))
            if installed > as_of:
                installed = as_of
            last_pm = None
            if rnd.random() < 0.9:
                last_pm = day(as_of - dt.timedelta(days=rnd.randint(0, 250)))
            crit = 1 if rnd.random() < (0.5 if kind == "hospital" else 0.1) else 0
            machines.append((mid, cid, mod, day(installed), last_pm, crit))
            mids.append(mid)
            if rnd.random() < 0.3:
                visits.append((f"V{len(visits) + 1:06d}", cid, mid, None, "pm",
                               day(as_of - dt.timedelta(days=rnd.randint(0, 300)))))
        for _ in range(rnd.randint(0, 5)):
            opened = as_of - dt.timedelta(days=rnd.randint(0, 400))
            opened_s = rnd.randint(0, 86399)
            prio = rnd.choices(["P1", "P2", "P3", "P4"], [1, 2, 3, 4])[0]
            closed = dispatched = eng = None
            age = (as_of - opened).days
            if age > 10 or rnd.random() < 0.6:
                closed = ts(opened, opened_s + rnd.randint(600, 5 * 86400))
            if closed or rnd.random() < 0.5:
                dispatched = ts(opened, opened_s + rnd.randint(300, 7200))
                eng = f"EN{rnd.randint(1, n_eng):03d}"
            if closed and closed > ts(as_of, 86399):
                closed = None
            if dispatched and dispatched > ts(as_of, 86399):
                dispatched = eng = None
            tickets.append((f"T{len(tickets) + 1:06d}", cid, rnd.choice(mids), prio,
                            ts(opened, opened_s), closed, dispatched, eng))
        if rnd.random() < 0.7:
            visits.append((f"V{len(visits) + 1:06d}", cid, None, None, "review",
                           day(as_of - dt.timedelta(days=rnd.randint(0, 250)))))
        if (end - as_of).days <= 120 and rnd.random() < 0.5:
            visits.append((f"V{len(visits) + 1:06d}", cid, None, None, "renewal",
                           day(as_of - dt.timedelta(days=rnd.randint(0, 150)))))

    # five customers on known boundaries (examples/medservice/POLICY.md), checked exactly by the tests
    d = as_of
    old = day(d - dt.timedelta(days=2000))
    recent_review = day(d - dt.timedelta(days=10))
    far_end = day(d + dt.timedelta(days=800))
    # X01: platinum MRI, uptime-critical, last PM 91 days ago (interval 90): pm.overdue critical, level 2
    customers.append(("X01", "Edge hospital 1", "hospital", "north", "platinum", "active", far_end, "AM001", old))
    machines.append(("X01-M1", "X01", "MRI", old, day(d - dt.timedelta(days=91)), 1))
    # X02: gold, a P1 opened 16 hours before D 23:59:59 (deadline 8, 2x): level 2, critical
    customers.append(("X02", "Edge clinic 2", "clinic", "south", "gold", "active", far_end, "AM002", old))
    machines.append(("X02-M1", "X02", "CT", old, day(d), 0))
    tickets.append(("TX02", "X02", "X02-M1", "P1", ts(d, 86399 - 16 * 3600), None,
                    ts(d, 86399 - 15 * 3600), "EN001"))
    # X03: silver, contract ends in 30 days, renewal visit 120 days ago (outside the window): critical
    customers.append(("X03", "Edge clinic 3", "clinic", "east", "silver", "active",
                      day(d + dt.timedelta(days=30)), "AM003", old))
    machines.append(("X03-M1", "X03", "US", old, day(d), 0))
    visits.append(("VX03", "X03", None, None, "renewal", day(d - dt.timedelta(days=120))))
    # X04: a P2 ticket naming a machine the customer does not have: engineer.unfilled to SM4
    customers.append(("X04", "Edge clinic 4", "clinic", "west", "silver", "active", far_end, "AM004", old))
    machines.append(("X04-M1", "X04", "US", old, day(d), 0))
    tickets.append(("TX04", "X04", "NOPE", "P2", ts(d, 3600), None, None, None))
    # X05: gold with 3 critical machines is strategic: review every 90 days, last 90 days ago
    customers.append(("X05", "Edge hospital 5", "hospital", "west", "gold", "active", far_end, "AM001", old))
    for k in range(3):
        machines.append((f"X05-M{k + 1}", "X05", "US", old, day(d), 1))
    visits.append(("VX05", "X05", None, None, "review", day(d - dt.timedelta(days=90))))
    for cid in ("X01", "X02", "X03", "X04"):
        visits.append((f"VR{cid}", cid, None, None, "review", recent_review))

    db.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?)", customers)
    db.executemany("INSERT INTO machines VALUES (?,?,?,?,?,?)", machines)
    db.executemany("INSERT INTO tickets VALUES (?,?,?,?,?,?,?,?)", tickets)
    db.executemany("INSERT INTO visits VALUES (?,?,?,?,?,?)", visits)
    db.commit()
    db.close()
    print(f"customers={len(customers)} machines={len(machines)} tickets={len(tickets)} "
          f"visits={len(visits)} staff={len(staff)} certifications={len(certs)}")


if __name__ == "__main__":
    main()
