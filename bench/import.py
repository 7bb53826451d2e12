#!/usr/bin/env python3
"""The Import API benchmark: `python3 bench/import.py` (issue 14's target:
1,000,000 rows at constant memory and at least 50,000 rows/s).

Builds release, creates a database on the local PostgreSQL (as
bench/run.py does), a campaign with an email, a text, a number and a
select, writes 1,000,000 CSV rows to a file, starts the server and imports
them through `POST /api/v1/import/leads`, once `partial` and once
`all_or_nothing`, timing each from the request to `state: done` (the
answer is 202; `GET /api/v1/imports/{id}` is polled). Reports rows per
second, the server's RSS before and its peak after, and checks the row
count in PostgreSQL. Writes bench/results/<stamp>/import.md.
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

ROWS = int(os.environ.get("KEYWARD_BENCH_IMPORT_ROWS", "1000000"))
bench.DB = "keyward_import_bench"


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


def rss_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def main():
    os.makedirs(bench.OUT, exist_ok=True)
    bench.log("building release")
    bench.run(["cargo", "build", "--release", "--bin", "keyward"])
    bench.psql(f"DROP DATABASE IF EXISTS {bench.DB} WITH (FORCE)")
    bench.psql(f"CREATE DATABASE {bench.DB}")
    env = bench.base_env()
    bench.run([bench.BIN, "migrate"], env=env)
    bench.run([bench.BIN, "admin", "create", "--email", "root@bench.local", "--password-stdin"], env=env,
              stdin=bench.PASSWORD + "\n")
    personal = bench.run([bench.BIN, "token", "issue", "--user", "root@bench.local", "--kind", "personal",
                          "--description", "import bench"], env=env, capture=True).stdout.strip()

    csv_path = os.path.join(bench.OUT, "leads.csv")
    bench.log(f"writing {ROWS:,} rows to {csv_path}")
    with open(csv_path, "w") as f:
        f.write("email,name,amount,partner\n")
        for i in range(ROWS):
            f.write(f"lead{i}@example.com,Lead number {i},{i % 1000}.5,{'ACME' if i % 2 else 'OTHER'}\n")
    size_mb = os.path.getsize(csv_path) / 1024 / 1024

    server = bench.Server(bench.PORT_A)
    base = server.base
    try:
        call("POST", base + "/api/v1/campaigns", personal, {"name": "Bulk", "slug": "bulk"})
        for slug, kind, required in [("email", "email", True), ("name", "text", False), ("amount", "number", False)]:
            call("POST", base + "/api/v1/campaigns/bulk/fields", personal,
                 {"slug": slug, "label": slug, "type": kind, "required": required})
        call("POST", base + "/api/v1/campaigns/bulk/selects", personal,
             {"slug": "partner", "label": "Partner", "options": [{"slug": "ACME", "label": "Acme"},
                                                                 {"slug": "OTHER", "label": "Other"}]})
        _, private = call("POST", base + "/api/v1/settings/account-tokens/private", personal,
                          {"user": "root@bench.local", "description": "import bench"})
        private = private["token"]
        # Warm up: a small import.
        call("POST", base + "/api/v1/import/leads?campaign=bulk&format=csv", private,
             b"email,name\nwarm@example.com,Warm\n", {"Content-Type": "text/csv"})
        bench.settle()

        results = []
        for mode in ["partial", "all_or_nothing"]:
            rss_before = rss_kb(server.proc.pid, "VmRSS:")
            start = time.monotonic()
            with open(csv_path, "rb") as body:
                status, queued = call("POST", f"{base}/api/v1/import/leads?campaign=bulk&format=csv&mode={mode}",
                                      private, body, {"Content-Type": "text/csv",
                                                      "Content-Length": str(os.path.getsize(csv_path))})
            sent = time.monotonic() - start
            assert status == 202, (status, queued)
            while True:
                _, state = call("GET", f"{base}/api/v1/imports/{queued['id']}", private)
                if state["state"] != "running":
                    break
                time.sleep(0.2)
            took = time.monotonic() - start
            assert state["state"] == "done" and state["imported"] == ROWS, state
            peak = rss_kb(server.proc.pid, "VmHWM:")
            results.append((mode, took, sent, rss_before, peak))
            bench.log(f"{mode}: {ROWS:,} rows in {took:.1f} s ({ROWS / took:,.0f} rows/s; body sent in {sent:.1f} s); "
                      f"RSS {rss_before / 1024:.0f} MB before, peak {peak / 1024:.0f} MB")
            bench.settle()
        count = bench.run(["psql", f"{bench.PG}/{bench.DB}{bench.PG_PARAMS}", "-tAc",
                           "SELECT count(*) FROM leads"], capture=True).stdout.strip()
        assert int(count) == 2 * ROWS + 1, count
    finally:
        server.stop()

    commit = bench.run(["git", "rev-parse", "--short", "HEAD"], capture=True).stdout.strip()
    lines = [
        f"Import benchmark, {time.strftime('%Y-%m-%d')}, commit {commit}: {ROWS:,} CSV rows ({size_mb:.0f} MB; "
        "an email, a text, a number and a select each), one request each, timed from the request to `state: done`; "
        "server and PostgreSQL on the same 2 cores.",
        "",
        "| mode | seconds | rows/s | server RSS before | peak RSS | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for mode, took, _, before, peak in results:
        ok = ROWS / took >= 50_000
        lines.append(f"| `{mode}` | {took:.1f} | {ROWS / took:,.0f} | {before / 1024:.0f} MB | {peak / 1024:.0f} MB "
                     f"| ≥ 50,000 rows/s: **{'met' if ok else 'missed'}** |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(bench.OUT, "import.md"), "w") as f:
        f.write(text)
    os.remove(csv_path)
    print(text)


if __name__ == "__main__":
    main()
