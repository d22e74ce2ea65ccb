#!/usr/bin/env python3
"""gen.py OUT.db [N] [AS_OF]: facts of a B2B SaaS vendor's customer success
(schema.sql), N accounts (default 400), dated up to AS_OF (default 2026-11-15).
The same arguments give the same data (a fixed seed)."""
import datetime as dt
import os
import random
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
as_of = dt.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else dt.date(2026, 11, 15)
rnd = random.Random(f"saas-{n}-{as_of}")
REGIONS = ["amer", "emea", "apac"]
WORDS = ["Acme", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris",
         "Juniper", "Kite", "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz",
         "Ridge", "Summit", "Tidal", "Umber", "Vertex", "Willow", "Zenith"]
KINDS = ["Analytics", "Logistics", "Health", "Bank", "Foods", "Robotics", "Media",
         "Energy", "Retail", "Labs", "Insurance", "Software"]

if os.path.exists(out):
    os.remove(out)
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
db = sqlite3.connect(out)
with open(os.path.join(HERE, "schema.sql")) as f:
    db.executescript(f.read())

def d(x): return x.isoformat()
def ts(x): return x.strftime("%Y-%m-%d %H:%M:%S")
def month_first(x, back=0):
    y, m = x.year, x.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return dt.date(y, m, 1)

# Staff: a VP, a CS manager and CSMs per region, support agents under leads.
staff = [("V1", "Morgan Reyes", "cs_vp", None, None, 1, None),
         ("H1", "Sam Okafor", "support_head", None, None, 1, None)]
csms = {r: [] for r in REGIONS}
for i, r in enumerate(REGIONS):
    mgr = f"M{i + 1}"
    staff.append((mgr, f"{r.upper()} CS manager", "cs_manager", r, "V1", 1, None))
    for j in range(max(2, n // 60)):
        sid = f"C{i + 1}{j + 1:02d}"
        active = 0 if j == 0 and i == 1 else 1          # one CSM has left
        staff.append((sid, f"CSM {r} {j + 1}", "csm", r, mgr, active, None))  # capacity below
        if active:
            csms[r].append(sid)
    lead = f"L{i + 1}"
    staff.append((lead, f"{r.upper()} support lead", "support_manager", r, "H1", 1, None))
agents = []
for j in range(max(4, n // 50)):
    sid = f"A{j + 1:02d}"
    r = REGIONS[j % 3]
    agents.append(sid)
    staff.append((sid, f"Agent {j + 1}", "support_agent", r,
                  None if j == 0 else f"L{j % 3 + 1}", 1, None))   # A01 has no lead

accounts, usage, tickets, qbrs, renewals, nps = [], [], [], [], [], []
tid = qid = rid = nid = 0
for k in range(1, n + 1):
    aid = f"AC{k:04d}"
    plan = rnd.choices(["starter", "growth", "enterprise"], [50, 35, 15])[0]
    lo, hi = {"starter": (5e3, 40e3), "growth": (30e3, 160e3), "enterprise": (90e3, 900e3)}[plan]
    arr = round(rnd.uniform(lo, hi), 2)
    created = as_of - dt.timedelta(days=rnd.randint(30, 7 * 365))
    arr_ago = round(arr / (1 + rnd.uniform(-0.3, 0.7)), 2) if (as_of - created).days > 365 else None
    region = rnd.choice(REGIONS)
    status = "churned" if rnd.random() < 0.05 else "active"
    csm = None
    if plan != "starter" and rnd.random() < 0.85:
        csm = rnd.choice(csms[region] + ["C201"])       # C201 has left
    name = f"{rnd.choice(WORDS)} {rnd.choice(KINDS)} {k}"
    email = f"billing@{name.split()[0].lower()}{k}.example.com"
    accounts.append((aid, name, plan, region, status, arr, arr_ago, csm, email, d(created)))
    if status != "active":
        continue

    # Usage: 18 months, the current one (in progress) included; some decline.
    seats = max(5, int(arr / rnd.choice([600, 900, 1200])))
    util = rnd.betavariate(5, 2)
    declining = rnd.random() < 0.12
    for back in range(18, -1, -1):
        m = month_first(as_of, back)
        if m < month_first(created):
            continue
        u = util * (0.55 if declining and back <= 1 else 1) * rnd.uniform(0.93, 1.05)
        usage.append((aid, d(m), seats, min(seats, int(seats * u))))

    # Tickets of the last 120 days.
    for _ in range(rnd.choice([0, 0, 1, 2, 3, 5])):
        tid += 1
        sev = rnd.choices([1, 2, 3, 4], [5, 20, 40, 35])[0]
        opened = dt.datetime.combine(as_of, dt.time(0)) - dt.timedelta(
            minutes=rnd.randint(0, 120 * 24 * 60)) + dt.timedelta(hours=23)
        target = {1: 1, 2: 4, 3: 8, 4: 24}[sev]
        answered = opened + dt.timedelta(hours=rnd.uniform(0.1, target * 1.6))
        resolved = answered + dt.timedelta(hours=rnd.uniform(1, 200))
        end = dt.datetime.combine(as_of, dt.time(23, 59, 59))
        tickets.append((f"T{tid:05d}", aid, sev, ts(opened),
                        ts(answered) if answered <= end and rnd.random() > (
                            0.4 if end - opened < dt.timedelta(days=3) else 0.02) else None,
                        ts(resolved) if resolved <= end else None, rnd.choice(agents)))

    # QBRs: the larger accounts every quarter or so, some skipped.
    if arr >= 50e3:
        day = created + dt.timedelta(days=rnd.randint(20, 90))
        while day <= as_of + dt.timedelta(days=30):
            if rnd.random() > 0.15:
                qid += 1
                role = rnd.choices(["exec", "champion", "user"], [40, 45, 15])[0]
                qbrs.append((f"Q{qid:05d}", aid, d(day), f"{role} of {name}", role))
            day += dt.timedelta(days=rnd.randint(60, 150) if arr < 250e3 else rnd.randint(60, 100))

    # Renewals: yearly on the anniversary; the next one open.
    year = created.year + 1
    while True:
        try:
            on = created.replace(year=year)
        except ValueError:
            on = dt.date(year, 2, 28)
        rid += 1
        if on <= as_of:
            renewals.append((f"R{rid:05d}", aid, d(on), arr_ago or arr, "renewed"))
        else:
            renewals.append((f"R{rid:05d}", aid, d(on), arr, "open"))
            break
        year += 1

    # NPS: a survey each quarter, answered about half the time.
    for back in range(0, 12, 3):
        if rnd.random() < 0.5:
            nid += 1
            day = month_first(as_of, back) + dt.timedelta(days=rnd.randint(0, 27))
            score = rnd.choices(range(11), [1, 1, 1, 2, 2, 3, 4, 8, 12, 10, 8])[0]
            nps.append((f"N{nid:05d}", aid, d(day), score))

# A stretched team: each CSM's capacity is their active accounts plus a little.
load = {}
for a in accounts:
    if a[4] == "active" and a[7]:
        load[a[7]] = load.get(a[7], 0) + 1
staff = [s[:6] + ((load.get(s[0], 0) + rnd.choice([0, 0, 0, 1, 2]),) if s[2] == "csm" else (None,))
         for s in staff]
db.executemany("INSERT INTO staff VALUES (?,?,?,?,?,?,?)", staff)
db.executemany("INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?,?)", accounts)
db.executemany("INSERT INTO usage VALUES (?,?,?,?)", usage)
db.executemany("INSERT INTO tickets VALUES (?,?,?,?,?,?,?)", tickets)
db.executemany("INSERT INTO qbrs VALUES (?,?,?,?,?)", qbrs)
db.executemany("INSERT INTO renewals VALUES (?,?,?,?,?)", renewals)
db.executemany("INSERT INTO nps VALUES (?,?,?,?)", nps)
db.commit()
print(f"{out}: {len(accounts)} accounts, {len(staff)} staff, {len(usage)} usage months, "
      f"{len(tickets)} tickets, {len(qbrs)} QBRs, {len(renewals)} renewals, {len(nps)} NPS answers")
