#!/usr/bin/env bash
# push: a webhook receiver that answers 200 and then sends an endless body
# (a misbehaving proxy, say) has the push read it until timeout_ms, count
# the delivery failed, and retry: gigabytes read per attempt, and the sink
# never moves past its first batch though the receiver accepted it.
CRMPOLICY=${CRMPOLICY:-/work/probe-aa/build/release/crmpolicy}
d=$(mktemp -d); cd "$d"
python3 - port <<'PY' & RP=$!
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8); open(sys.argv[1], "w").write(str(s.getsockname()[1]))
def h(c):
    data = b""
    while b"\r\n\r\n" not in data: data += c.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(body) < n: body += c.recv(65536)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n")
    try:
        while True: c.sendall(b"x" * 1048576)
    except Exception: pass
while True:
    c, _ = s.accept(); threading.Thread(target=h, args=(c,), daemon=True).start()
PY
trap 'kill $RP; rm -rf "$d"' EXIT
while [ ! -s port ]; do sleep 0.05; done
sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY); INSERT INTO clients VALUES ('C1');"
printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: []}\nsinks:\n  - {name: w, type: webhook, url: "http://127.0.0.1:%s/", timeout_ms: 2000, retries: 0}\n' "$(cat port)" > c.yaml
echo 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = "t" } end }' > r.lua
"$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet || exit 1
"$CRMPOLICY" push --config c.yaml --quiet; rc=$?
echo "push exit $rc"
[ $rc = 0 ] || { echo "BUG: a 200 answer did not count as delivered"; exit 1; }
