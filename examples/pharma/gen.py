#!/usr/bin/env python3
"""gen.py OUT.db [N] [AS_OF]: repeatable facts of a pharmaceutical distributor.

N accounts (default 400: hospitals of three grades and chain pharmacies in four
regions), their licenses, two years of monthly purchase orders before AS_OF
(default 2026-11-15), invoices and payments, three batch recalls in the days
before AS_OF with the accounts that received them, visits, and the staff (reps
and regional managers). The same arguments give the same file, byte for byte
in content. A few accounts (P9xx) sit on the policy's boundaries, so that
every rule reports something as of AS_OF.
"""
import datetime as dtm
import os
import random
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

REGIONS = {
    "华东": ["上海", "杭州", "南京", "苏州", "宁波"],
    "华北": ["北京", "天津", "石家庄", "太原"],
    "华南": ["广州", "深圳", "佛山", "东莞"],
    "西南": ["成都", "重庆", "昆明", "贵阳"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
         "杰", "娟", "涛", "明", "超", "秀英", "建华", "志强", "海燕", "晓东"]
HOSPITAL = {"三甲": ["市第一人民医院", "市中心医院", "医科大学附属第一医院", "市中医院"],
            "二甲": ["区人民医院", "市第二人民医院", "县人民医院", "区中医院"],
            "社区": ["街道社区卫生服务中心", "镇卫生院"]}
CHAINS = ["老百姓大药房", "益丰大药房", "大参林", "一心堂", "国大药房"]
DRUGS = [("阿莫西林胶囊", "一级"), ("头孢克肟片", "二级"), ("复方甘草片", "三级")]


def day(d):
    return d.isoformat()


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def person(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen.py OUT.db [N] [AS_OF]")
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    as_of = dtm.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else dtm.date(2026, 11, 15)
    rng = random.Random(20261115 + n)

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if os.path.exists(out):
        os.remove(out)
    db = sqlite3.connect(out)
    db.execute("PRAGMA synchronous = OFF")   # a file made anew: no need to wait for the disk
    with open(os.path.join(HERE, "schema.sql"), encoding="utf-8") as f:
        db.executescript(f.read())

    # staff: a manager and 3 reps per region; one rep inactive
    staff, reps = [], {}
    sid = 1
    for region in REGIONS:
        mid = "M%02d" % sid
        sid += 1
        staff.append((mid, person(rng), "manager", region, None, 1, None))
        reps[region] = []
        for _ in range(3):
            rid = "S%02d" % sid
            sid += 1
            staff.append((rid, person(rng), "rep", region, mid, 1, rng.choice([3, 4, 5])))
            reps[region].append(rid)
    inactive = reps["华北"][2]
    staff = [s if s[0] != inactive else s[:5] + (0,) + s[6:] for s in staff]
    db.executemany("INSERT INTO staff VALUES (?,?,?,?,?,?,?)", staff)

    accounts, licenses, orders, invoices, payments, receipts, visits = [], [], [], [], [], [], []
    counters = {"L": 0, "O": 0, "I": 0, "P": 0, "V": 0, "R": 0}

    def nid(prefix):
        counters[prefix] += 1
        return "%s%06d" % (prefix, counters[prefix])

    recall_days = [as_of - dtm.timedelta(days=k) for k in (0, 1, 3)]
    recalls = []
    for k, ((drug, level), d) in enumerate(zip(DRUGS, recall_days), start=1):
        at = dtm.datetime.combine(d, dtm.time(9 + k, 30))
        recalls.append(("RC%02d" % k, drug, "B%s%02d" % (d.strftime("%y%m"), k), level, ts(at)))
    db.executemany("INSERT INTO recalls VALUES (?,?,?,?,?)", recalls)

    names = set()
    for i in range(1, n + 1):
        cid = "P%04d" % i
        region = rng.choice(sorted(REGIONS))
        city = rng.choice(REGIONS[region])
        r = rng.random()
        if r < 0.15:
            kind, grade = "hospital", "三甲"
        elif r < 0.40:
            kind, grade = "hospital", "二甲"
        elif r < 0.60:
            kind, grade = "hospital", "社区"
        else:
            kind, grade = "pharmacy", None
        if kind == "hospital":
            name = city + rng.choice(HOSPITAL[grade])
            chain = None
        else:
            chain = rng.choice(CHAINS)
            name = chain + city + "第%d分店" % rng.randint(1, 99)
        while name in names:
            name += "（二）"
        names.add(name)
        status = "closed" if rng.random() < 0.03 else "active"
        rep = rng.choice(reps[region]) if (grade != "三甲" or rng.random() < 0.8) else None
        size = {"三甲": 800000, "二甲": 300000, "社区": 60000, None: 150000}[grade]
        limit = round(size * rng.uniform(1.5, 3.0), -4)
        created = as_of - dtm.timedelta(days=rng.randint(200, 3000))
        accounts.append((cid, name, kind, grade, chain, region, status, rep, limit, day(created)))

        # licenses: one GSP (or 执业许可证 for hospitals), renewed every 5 years
        lkind = "医疗机构执业许可证" if kind == "hospital" else "药品经营许可证"
        expires = as_of + dtm.timedelta(days=rng.randint(-20, 900))
        licenses.append((nid("L"), cid, lkind, "粤%08d" % rng.randint(0, 10**8), day(expires)))
        if kind == "pharmacy":
            licenses.append((nid("L"), cid, "GSP", "GSP%06d" % rng.randint(0, 10**6),
                             day(as_of + dtm.timedelta(days=rng.randint(-10, 700)))))

        payer = rng.choices(["good", "slow", "bad"], [85, 10, 5])[0]
        # monthly purchase orders for 24 months, and their invoices
        for m in range(24, -1, -1):
            y, mo = as_of.year, as_of.month - m
            while mo <= 0:
                y, mo = y - 1, mo + 12
            od = dtm.date(y, mo, rng.randint(1, 28))
            if od > as_of or od < created or rng.random() < 0.1:
                continue
            amount = round(size * rng.uniform(0.05, 0.25), 2)
            oid = nid("O")
            orders.append((oid, cid, day(od), amount))
            iid = nid("I")
            due = od + dtm.timedelta(days=60)
            invoices.append((iid, cid, day(od), day(due), amount))
            p = rng.random() if payer != "good" or m > 0 else 0
            if payer == "good" or p < 0.80:
                paid = due + dtm.timedelta(days=rng.randint(-30, 10))
                if paid <= as_of:
                    payments.append((nid("P"), cid, iid, day(paid), amount))
            elif p < 0.90 or m > 6:
                paid = due + dtm.timedelta(days=rng.randint(20, 120))
                if paid <= as_of:
                    payments.append((nid("P"), cid, iid, day(paid), round(amount / 2, 2)))
            # else: unpaid

        # visits
        every = {"三甲": 12, "二甲": 25, "社区": 50, None: 40}[grade]
        t = dtm.datetime.combine(created, dtm.time(10))
        end = dtm.datetime.combine(as_of, dtm.time(18))
        while True:
            t += dtm.timedelta(days=rng.randint(every // 2, every * 2), hours=rng.randint(0, 6))
            if t > end:
                break
            visits.append((nid("V"), cid, rep, rng.choice(["visit", "visit", "phone"]), None, ts(t)))

        # recall receipts: a tenth of the accounts got a recalled batch
        if rng.random() < 0.10:
            rc = rng.choice(recalls)
            at = dtm.datetime.fromisoformat(rc[4])
            receipts.append((nid("R"), cid, rc[0], day(at.date() - dtm.timedelta(days=rng.randint(5, 40)))))
            if rng.random() < 0.6:
                when = at + dtm.timedelta(hours=rng.randint(1, 40))
                if when <= dtm.datetime.combine(as_of, dtm.time(23, 59, 59)):
                    visits.append((nid("V"), cid, rep, "recall", rc[0], ts(when)))

    # boundary accounts (P9xx): one rule each, as of AS_OF
    def add(cid, name, grade, region, rep, **kw):
        kind = "pharmacy" if grade is None else "hospital"
        created = kw.get("created", as_of - dtm.timedelta(days=400))
        accounts.append((cid, name, kind, grade, kw.get("chain"), region, "active", rep,
                         kw.get("limit", 1000000.0), day(created)))
        visits.append((nid("V"), cid, rep, "visit", None,
                       ts(dtm.datetime.combine(as_of - dtm.timedelta(days=kw.get("visited", 3)), dtm.time(10)))))

    add("P9001", "杭州市第三人民医院", "三甲", "华东", reps["华东"][0])
    licenses.append((nid("L"), "P9001", "医疗机构执业许可证", "浙00000001", day(as_of + dtm.timedelta(days=7))))
    add("P9002", "天津市第五中心医院", "三甲", "华北", None)                  # no rep: a pick
    add("P9003", "益丰大药房广州第100分店", None, "华南", reps["华南"][0], chain="益丰大药房",
        limit=50000.0)
    inv = nid("I")
    invoices.append((inv, "P9003", day(as_of - dtm.timedelta(days=160)),
                     day(as_of - dtm.timedelta(days=90)), 80000.0))        # 90 days: credit hold
    add("P9004", "成都市青羊区社区卫生服务中心", "社区", "西南", reps["西南"][0], visited=120)
    add("P9005", "深圳市人民医院", "三甲", "华南", reps["华南"][1])
    receipts.append((nid("R"), "P9005", "RC03", day(as_of - dtm.timedelta(days=20))))  # not contacted

    db.executemany("INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?,?)", accounts)
    db.executemany("INSERT INTO licenses VALUES (?,?,?,?,?)", licenses)
    db.executemany("INSERT INTO orders VALUES (?,?,?,?)", orders)
    db.executemany("INSERT INTO invoices VALUES (?,?,?,?,?)", invoices)
    db.executemany("INSERT INTO payments VALUES (?,?,?,?,?)", payments)
    db.executemany("INSERT INTO recall_receipts VALUES (?,?,?,?)", receipts)
    db.executemany("INSERT INTO visits VALUES (?,?,?,?,?,?)", visits)
    db.commit()
    db.close()
    print("%s: %d accounts as of %s" % (out, len(accounts), as_of))


if __name__ == "__main__":
    main()
