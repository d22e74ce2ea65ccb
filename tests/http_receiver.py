#!/usr/bin/env python3
"""tests/http_receiver.py: a webhook receiver for the push tests, on loopback.

  http_receiver.py --port-file F --log L [--fail-first N] [--fail-always]
                   [--hang-on N]... [--refuse-on N]... [--endless-body]
                   [--stalled-body] [--fail-status CODE]
                   [--retry-after VALUE] [--tls CERT KEY]

Writes the port it listens on into F once it is ready. Every request is one
JSON line in L: its number n (from 1), path, Idempotency-Key,
X-Crmpolicy-Signature, body, the answer given and the receiver's monotonic
clock in seconds (t). The first N requests are answered 503, or CODE of
--fail-status (--fail-first), or all of them (--fail-always), with a
Retry-After header of VALUE when --retry-after is given; request N of
--hang-on is never answered (the line is written, then L.hang is created,
then the thread sleeps); request N of --refuse-on is answered 400; with
--endless-body, each answer's body never
ends (a Content-Length of 10^11, then bytes until the client goes); with
--stalled-body, each answer announces 10 bytes of body, sends 3 and waits
until the client goes; with
--tls, it speaks HTTPS with that certificate and key (PEM files)."""
import argparse
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNT = [0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-always", action="store_true")
    ap.add_argument("--hang-on", type=int, action="append", default=[])
    ap.add_argument("--refuse-on", type=int, action="append", default=[])
    ap.add_argument("--endless-body", action="store_true")
    ap.add_argument("--stalled-body", action="store_true")
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--retry-after")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with LOCK:
                COUNT[0] += 1
                n = COUNT[0]
            if n in args.hang_on:
                answer = "hang"
            elif n in args.refuse_on:
                answer = 400
            elif args.fail_always or n <= args.fail_first:
                answer = args.fail_status
            else:
                answer = 200
            line = {"n": n, "path": self.path, "key": self.headers.get("Idempotency-Key"),
                    "sig": self.headers.get("X-Crmpolicy-Signature"),
                    "body": body.decode("utf-8"), "answer": answer, "t": time.monotonic()}
            with LOCK, open(args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
            if answer == "hang":
                open(args.log + ".hang", "w").close()
                time.sleep(3600)
                return
            self.send_response(answer)
            if args.retry_after is not None and answer != 200:
                self.send_header("Retry-After", args.retry_after)
            self.send_header("Content-Length", "100000000000" if args.endless_body
                             else "10" if args.stalled_body else "0")
            self.end_headers()
            if args.stalled_body:
                self.wfile.write(b"abc")
                self.wfile.flush()
                self.rfile.read(1)   # b"" once the client closes the connection
                return
            try:
                while args.endless_body:
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
