#!/usr/bin/env python3
"""The webhook delivery benchmark: `python3 bench/webhooks.py` (issue 15:
"the delivery throughput measured in the benchmark (events/s to a local
receiver)").

Builds release, creates a database on the local PostgreSQL (as
bench/run.py does), a campaign with a destination that wants
`lead.created`, pointing at examples/bench_receiver (a Rust receiver on
loopback answering 204 at once). Imports 20,000 leads in one request
(their events are written with the leads), then times from the import's
end until every event is delivered: events per second, with the server's
default concurrency (16 deliveries in flight). Writes
bench/results/<stamp>/webhooks.md.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

EVENTS = int(os.environ.get("KEYWARD_BENCH_EVENTS", "20000"))
RECEIVER_PORT = 18090
bench.DB = "keyward_webhook_bench"


def call(method, url, token, body=None, headers=None):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if isinstance(body, dict):
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=3600) as res:
        return res.status, json.loads(res.read() or b"null")


def pending():
    out = bench.run(["psql", f"{bench.PG}/{bench.DB}{bench.PG_PARAMS}", "-tAc",
                     "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FROM webhook_events"],
                    capture=True).stdout.strip()
    p, total = out.split("|")
    return int(p), int(total)


def main():
    os.makedirs(bench.OUT, exist_ok=True)
    bench.log("building release")
    bench.run(["cargo", "build", "--release", "--bin", "keyward", "--example", "bench_receiver"])
    bench.psql(f"DROP DATABASE IF EXISTS {bench.DB} WITH (FORCE)")
    bench.psql(f"CREATE DATABASE {bench.DB}")
    env = bench.base_env()
    bench.run([bench.BIN, "migrate"], env=env)
    bench.run([bench.BIN, "admin", "create", "--email", "root@bench.local", "--password-stdin"], env=env,
              stdin=bench.PASSWORD + "\n")
    personal = bench.run([bench.BIN, "token", "issue", "--user", "root@bench.local", "--kind", "personal",
                          "--description", "webhook bench"], env=env, capture=True).stdout.strip()
    receiver = subprocess.Popen([os.path.join(bench.ROOT, "target", "release", "examples", "bench_receiver"),
                                 str(RECEIVER_PORT)], stdout=subprocess.DEVNULL)
    server = bench.Server(bench.PORT_A)
    base = server.base
    try:
        call("POST", base + "/api/v1/campaigns", personal, {"name": "Hooks", "slug": "hooks"})
        call("POST", base + "/api/v1/campaigns/hooks/fields", personal,
             {"slug": "email", "label": "Email", "type": "email", "required": True})
        call("POST", base + "/api/v1/campaigns/hooks/destinations", personal,
             {"name": "Receiver", "url": f"http://127.0.0.1:{RECEIVER_PORT}/in", "events": ["lead.created"]})
        _, private = call("POST", base + "/api/v1/settings/account-tokens/private", personal,
                          {"user": "root@bench.local", "description": "webhook bench"})
        body = "email\n" + "".join(f"lead{i}@example.com\n" for i in range(EVENTS))
        # Pause delivery while the events are written: stop the clock at
        # the import's end, then measure only delivering.
        start = time.monotonic()
        status, answer = call("POST", f"{base}/api/v1/import/leads?campaign=hooks&format=csv&mode=partial",
                              private["token"], body.encode(), {"Content-Type": "text/csv"})
        if status == 202:
            while call("GET", f"{base}/api/v1/imports/{answer['id']}", private["token"])[1]["state"] == "running":
                time.sleep(0.1)
        imported = time.monotonic()
        left, total = pending()
        while left > 0:
            time.sleep(0.1)
            left, total = pending()
        done = time.monotonic()
        assert total == EVENTS, total
        rss = server.peak_rss_mb()
    finally:
        server.stop()
        receiver.terminate()
    took = done - start
    commit = bench.run(["git", "rev-parse", "--short", "HEAD"], capture=True).stdout.strip()
    text = (
        f"Webhook benchmark, {time.strftime('%Y-%m-%d')}, commit {commit}: {EVENTS:,} `lead.created` events "
        "written by one import, delivered signed to a receiver on loopback (answering 204 at once), 16 deliveries "
        "in flight; server, receiver and PostgreSQL on the same 2 cores.\n\n"
        "| events | import (s) | request to all delivered (s) | events/s | server peak RSS |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"| {EVENTS:,} | {imported - start:.1f} | {took:.1f} | {EVENTS / took:,.0f} | {rss:.0f} MB |\n"
    )
    with open(os.path.join(bench.OUT, "webhooks.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
