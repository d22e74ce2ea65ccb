#!/usr/bin/env python3
"""tests/check_deliveries.py LOG SECRET FEED: checks what a webhook receiver
(tests/http_receiver.py) logged against the feed (the JSON lines of
`crmpolicy feed`): every event of FEED arrived at least once in a delivery
answered 200, identical to the feed's line; every delivery of the same
events carried the same Idempotency-Key (epoch-first-last); every signature
is the HMAC-SHA256 of the body under SECRET. Prints "ok: E events, D
deliveries, R repeated" or the problems; exit 0 only when all hold."""
import hashlib
import hmac
import json
import sys


def main():
    log = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
    secret = sys.argv[2].encode()
    feed = {e["seq"]: e for e in map(json.loads, open(sys.argv[3], encoding="utf-8"))}
    problems = []
    keys = {}          # seq -> idempotency keys seen
    delivered = set()  # seqs in a delivery answered 200
    repeated = 0
    for d in log:
        want = "sha256=" + hmac.new(secret, d["body"].encode(), hashlib.sha256).hexdigest()
        if d["sig"] != want:
            problems.append(f"request {d['n']}: bad signature {d['sig']}")
        body = json.loads(d["body"])
        seqs = [e["seq"] for e in body["events"]]
        key = f"{body['epoch']}-{seqs[0]}-{seqs[-1]}"
        if d["key"] != key:
            problems.append(f"request {d['n']}: key {d['key']}, expected {key}")
        for e in body["events"]:
            if feed.get(e["seq"]) != e:
                problems.append(f"request {d['n']}: event {e['seq']} differs from the feed")
            if e["seq"] in keys and d["key"] not in keys[e["seq"]]:
                problems.append(f"event {e['seq']}: two keys {keys[e['seq']]} and {d['key']}")
            repeated += e["seq"] in keys
            keys.setdefault(e["seq"], set()).add(d["key"])
            if d["answer"] == 200:
                delivered.add(e["seq"])
    missing = sorted(set(feed) - delivered)
    if missing:
        problems.append(f"never delivered: {missing[:10]}")
    for p in problems[:10]:
        print(p)
    if not problems:
        print(f"ok: {len(feed)} events, {len(log)} deliveries, {repeated} repeated")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
