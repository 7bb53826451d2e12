#!/usr/bin/env python3
"""Keyward's benchmark suite: `python3 bench/run.py` (or `bash bench/run.sh`).

Builds release, seeds a database on the local PostgreSQL (127.0.0.1:5432)
with 100,000 tokens of mixed kinds and 1,000,000 leads, starts the server,
and drives load from a second process with wrk: 2 threads, 32 and 256
connections, 10 s, 3 rounds, medians. Compares (e) and (f) with pgbench
doing the same statement. Measures peak RSS with 100,000 tokens cached and
the two-instance revocation delay, runs the criterion micro-benchmarks,
and writes bench/results/<stamp>/results.md.

Not part of the test suite: it takes about 20 minutes and wants the machine
to itself.
"""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAMP = time.strftime("%Y%m%d-%H%M%S")
OUT = os.path.join(ROOT, "bench", "results", STAMP)
SEED = os.path.join(OUT, "seed")
PG = os.environ.get("KEYWARD_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# Loopback TCP without TLS, for Keyward and pgbench alike.
PG_PARAMS = os.environ.get("KEYWARD_BENCH_PG_PARAMS", "?sslmode=disable")
DB = "keyward_bench"
PORT_A, PORT_B = 18080, 18081
ROUNDS = int(os.environ.get("KEYWARD_BENCH_ROUNDS", "3"))
DURATION = os.environ.get("KEYWARD_BENCH_DURATION", "10s")
CONNECTIONS = [32, 256]
# How long the (c) runs take in all: warm-up, then 3 rounds at 2 connection counts.
C_SECONDS = 2 + ROUNDS * len(CONNECTIONS) * int(DURATION.rstrip("s"))
BIN = os.path.join(ROOT, "target", "release", "keyward")
PASSWORD = "bench password 123"


def log(*args):
    print("[bench]", *args, flush=True)


def run(cmd, env=None, check=True, capture=False, stdin=None):
    return subprocess.run(cmd, env=env, check=check, text=True, input=stdin,
                          stdout=subprocess.PIPE if capture else None, cwd=ROOT)


def psql(sql, db="postgres"):
    run(["psql", f"{PG}/{db}{PG_PARAMS}", "-q", "-c", sql])


def base_env(extra=None):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("KEYWARD_"):
            del env[k]
    env.update({
        "DATABASE_URL": f"{PG}/{DB}{PG_PARAMS}",
        "KEYWARD_MASTER_KEY": "5a" * 32,
        "KEYWARD_DATA_DIR": os.path.join(OUT, "var"),
        "KEYWARD_CONFIG": "/dev/null",
        "KEYWARD_SECURE_COOKIES": "false",
        "KEYWARD_WORKERS": "2",
        "KEYWARD_FAILED_TOKEN_LIMIT": "0",
        "RUST_LOG": "warn",
    })
    env.update(extra or {})
    return env


def ensure_tools():
    if not shutil.which("wrk"):
        log("installing wrk")
        run(["apt-get", "install", "-y", "-qq", "wrk"])
    if not shutil.which("pgbench"):
        log("installing pgbench")
        run(["apt-get", "install", "-y", "-qq", "postgresql-contrib"])


def build():
    log("building release")
    run(["cargo", "build", "--release", "--bin", "keyward", "--example", "bench_seed", "--example", "bench_revocation"])


def seed():
    log("creating and seeding", DB)
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    env = base_env()
    run([BIN, "migrate"], env=env)
    run([BIN, "admin", "create", "--email", "root@bench.local", "--password-stdin"], env=env, stdin=PASSWORD + "\n")
    run([os.path.join(ROOT, "target", "release", "examples", "bench_seed"), SEED], env=env)
    # Otherwise autovacuum works through the million new rows during the
    # first scenarios and takes a core from them.
    settle()


def settle():
    """Vacuum and checkpoint now, so that the maintenance owed for earlier
    writes does not run during (and take a core from) the next scenario."""
    log("vacuum and checkpoint")
    psql("VACUUM (ANALYZE)", db=DB)
    psql("CHECKPOINT", db=DB)



def read(name):
    with open(os.path.join(SEED, name)) as f:
        return f.read().split()


class Server:
    def __init__(self, port, extra=None):
        self.port = port
        env = base_env({"KEYWARD_BIND": f"127.0.0.1:{port}", **(extra or {})})
        self.proc = subprocess.Popen([BIN, "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/livez", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            kb = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
        return kb / 1024

    def metric(self, name):
        text = urllib.request.urlopen(self.base + "/metrics").read().decode()
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def wrk(url, connections, script=None, env=None):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{DURATION}", "--latency", url]
    if script:
        cmd[1:1] = ["-s", os.path.join(ROOT, "bench", "wrk", script)]
    out = subprocess.run(cmd, env={**os.environ, **(env or {})}, text=True, stdout=subprocess.PIPE, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else ""}


def median_of(rounds):
    return {k: statistics.median(r[k] for r in rounds) for k in ("rps", "p50", "p99")} | {
        "non2xx": rounds[-1]["non2xx"], "socket_errors": rounds[-1]["socket_errors"]}


def scenario(name, url, script=None, env=None, connections=CONNECTIONS):
    results = {}
    wrk_short = dict(env or {})
    subprocess.run(["wrk", "-t2", "-c32", "-d2s", url] + (["-s", os.path.join(ROOT, "bench", "wrk", script)] if script else []),
                   env={**os.environ, **wrk_short}, stdout=subprocess.DEVNULL, check=True)
    for c in connections:
        rounds = [wrk(url, c, script, env) for _ in range(ROUNDS)]
        results[c] = median_of(rounds)
        log(f"{name} c={c}: {results[c]['rps']:.0f} req/s, p50 {results[c]['p50']:.2f} ms, p99 {results[c]['p99']:.2f} ms"
            + (f", non-2xx {results[c]['non2xx']}" if results[c]["non2xx"] else ""))
    return results


def pgbench(script_text, clients=32):
    path = os.path.join(OUT, "pgbench.sql")
    with open(path, "w") as f:
        f.write(script_text)
    tps = []
    for _ in range(ROUNDS):
        out = run(["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", DURATION.rstrip("s"), "-f", path,
                   f"{PG}/{DB}{PG_PARAMS}"], capture=True).stdout
        tps.append(float(re.search(r"tps = ([\d.]+)", out).group(1)))
    return statistics.median(tps)


def xact_count():
    """Committed transactions in the bench database, all sessions (pg_stat_database)."""
    out = run(["psql", f"{PG}/{DB}{PG_PARAMS}", "-Atq", "-c",
               f"SELECT pg_stat_clear_snapshot(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DB}'"],
              capture=True).stdout.split()
    return int(out[-1])


def sign_in(base):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": csrf, "email": "root@bench.local", "password": PASSWORD}).encode()
    opener.open(base + "/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def criterion():
    log("criterion micro-benchmarks")
    out = run(["cargo", "bench", "--bench", "verify"], capture=True).stdout
    lines = []
    for m in re.finditer(r"^(\S[^\n]*?)\s+time:\s+\[([^\]]+)\]", out, re.M):
        parts = m.group(2).split()
        lines.append((m.group(1).strip(), f"{parts[2]} {parts[3]}"))
    return lines


def main():
    os.makedirs(OUT, exist_ok=True)
    ensure_tools()
    build()
    seed()
    personal = read("personal.txt")[0]
    form = read("form.txt")[0]
    api = read("api.txt")[0]
    private = read("private.txt")[0]
    digest = read("personal_digest.txt")[0]
    cid, sid = read("ids.txt")
    files = {n: os.path.join(SEED, n) for n in ("unknown.txt", "broken.txt", "all_tokens.txt", "revocable.txt")}
    r = {}

    a = Server(PORT_A)
    r["a"] = scenario("(a) /livez", a.base + "/livez")
    r["b"] = scenario("(b) /api/v1/me cached", a.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal})
    # Background work (the outbox poll) queries on its own: count an idle
    # stretch as long as the (c) runs, and compare.
    time.sleep(11)  # let the usage flush of (b) and idle sessions' statistics land first
    before = xact_count()
    time.sleep(C_SECONDS)
    r["idle_queries"] = xact_count() - before - 1
    misses_before, before = a.metric("keyward_token_cache_misses_total"), xact_count()
    r["c"] = scenario("(c) broken checksum", a.base + "/api/v1/me", "rotate.lua", {"TOKENS_FILE": files["broken.txt"]})
    r["c_queries"] = xact_count() - before - 1  # minus the counting query itself
    r["c_misses"] = a.metric("keyward_token_cache_misses_total") - (misses_before or 0)
    log(f"(c) database transactions: {r['c_queries']} during the runs, {r['idle_queries']} in as long idle; "
        f"cache lookups: {r['c_misses']:.0f}")
    r["a_lua"] = scenario("(a') /livez, same Lua request() as (c) and (d)", a.base + "/livez", "rotate.lua",
                          {"TOKENS_FILE": files["broken.txt"]})
    lookups_before = a.metric("keyward_token_cache_misses_total")
    r["d"] = scenario("(d) unknown tokens", a.base + "/api/v1/me", "rotate.lua", {"TOKENS_FILE": files["unknown.txt"]})
    r["d_misses"] = a.metric("keyward_token_cache_misses_total") - (lookups_before or 0)
    r["f"] = scenario("(f) intake form", a.base + f"/api/v1/campaigns/bench/sources/web/form", "form.lua", {"TOKEN": form})
    # The same submission where the campaign's token, then the global token, decides.
    r["f_campaign"] = scenario("(f) intake form, campaign token", a.base + "/api/v1/campaigns/bench-campaign/sources/web/form",
                               "form.lua", {"TOKEN": read("campaign.txt")[0]})
    r["f_global"] = scenario("(f) intake form, global token", a.base + "/api/v1/campaigns/bench-global/sources/web/form",
                             "form.lua", {"TOKEN": read("global.txt")[0]})
    settle()  # after the intake runs' inserts
    r["g"] = scenario("(g) leads page of 100", a.base + "/api/v1/campaigns/bench/leads?limit=100", "bearer.lua", {"TOKEN": api})
    r["h"] = scenario("(h) introspection", a.base + "/api/v1/tokens/introspect", "introspect.lua", {"TOKEN": private, "SUBJECT": personal})
    settle()  # after introspection's audit entries
    cookie = sign_in(a.base)
    r["i"] = scenario("(i) console token list", a.base + "/settings/tokens", "cookie.lua", {"COOKIE": cookie}, connections=[32])
    # 100,000 distinct tokens through the cache, then its size and peak RSS.
    scenario("(rss) 100,000 tokens", a.base + "/api/v1/me", "rotate.lua", {"TOKENS_FILE": files["all_tokens.txt"]}, connections=[32])
    r["cache_entries"] = a.metric("keyward_token_cache_entries")
    r["rss_mb"] = a.peak_rss_mb()
    log(f"cache entries {r['cache_entries']}, peak RSS {r['rss_mb']:.1f} MB")

    b = Server(PORT_B)
    out = run([os.path.join(ROOT, "target", "release", "examples", "bench_revocation"), a.base, b.base, files["revocable.txt"]], capture=True).stdout
    r["revocation"] = json.loads(out.strip().splitlines()[-1])
    log("revocation delay", r["revocation"])
    b.stop()
    a.stop()

    nocache = Server(PORT_A, {"KEYWARD_CACHE": "false"})
    r["e"] = scenario("(e) /api/v1/me, cache off", nocache.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal})
    nocache.stop()

    log("pgbench: the same lookup, prepared")
    r["pg_lookup"] = pgbench(
        "SELECT t.*, u.* FROM tokens t LEFT JOIN users u ON u.id = t.user_id "
        f"WHERE t.digest = decode('{digest}', 'hex');\n")
    log("pgbench: the same insert")
    r["pg_insert"] = pgbench(
        "INSERT INTO leads (campaign_id, source_id, status, fields, selects, created_at, updated_at) VALUES "
        f"({cid}, {sid}, 'new', '{{\"email\": \"bench@example.com\", \"name\": \"Bench\"}}', "
        "'{\"select_partner\": \"SELECT_PARTNER\"}', now(), now());\n")
    r["criterion"] = criterion()
    report(r)


def report(r):
    a32 = r["a"][32]["rps"]
    rows = []

    def line(label, res, c, target=""):
        x = res[c]
        rows.append(f"| {label} | {c} | {x['rps']:,.0f} | {x['p50']:.2f} | {x['p99']:.2f} | {target} |")

    for key, label in [("a", "(a) `/livez`: no work"), ("a_lua", "(a') `/livez`, wrk running (c)'s Lua"), ("b", "(b) `GET /api/v1/me`, cached"), ("c", "(c) broken checksum"),
                       ("d", "(d) well-formed unknown tokens"), ("e", "(e) `GET /api/v1/me`, cache off"),
                       ("f", "(f) intake form (one insert), source token"),
                       ("f_campaign", "(f) intake form, campaign token"), ("f_global", "(f) intake form, global token"), ("g", "(g) leads page of 100, filtered"), ("h", "(h) introspection")]:
        for c in CONNECTIONS:
            line(label, r[key], c)
    line("(i) console token list (100,000 tokens)", r["i"], 32)

    def verdict(ok):
        return "met" if ok else "**missed**"

    b, c, d, e, f = (r[k][32]["rps"] for k in "bcdef")
    al = r["a_lua"][32]["rps"]
    targets = [
        f"| (b) ≥ 80% of (a), p99 < 5 ms at 32 | {b / a32:.0%}, p99 {r['b'][32]['p99']:.2f} ms | {verdict(b >= 0.8 * a32 and r['b'][32]['p99'] < 5)} |",
        f"| (c) ≥ 90% of (a), no database query | {c / a32:.0%} ({c / al:.0%} of (a')); {r['c_misses']:.0f} lookups, "
        f"{r['c_queries']} transactions vs {r['idle_queries']} idle | {verdict(c >= 0.9 * a32 and r['c_misses'] == 0)} |",
        f"| (d) ≥ 80% of (a) | {d / a32:.0%} ({d / al:.0%} of (a')); {r['d_misses']:.0f} lookups for 10,000 distinct tokens "
        f"(negative entries live 5 min) | {verdict(d >= 0.8 * a32)} |",
        f"| (e) ≥ 50% of pgbench's lookup | {e:,.0f} vs {r['pg_lookup']:,.0f} tps: {e / r['pg_lookup']:.0%} | {verdict(e >= 0.5 * r['pg_lookup'])} |",
        f"| (f) ≥ 70% of pgbench's insert | {f:,.0f} vs {r['pg_insert']:,.0f} tps: {f / r['pg_insert']:.0%} | {verdict(f >= 0.7 * r['pg_insert'])} |",
        f"| (i) p50 < 20 ms | {r['i'][32]['p50']:.2f} ms | {verdict(r['i'][32]['p50'] < 20)} |",
        f"| peak RSS < 200 MB with 100,000 tokens cached | {r['rss_mb']:.0f} MB ({r['cache_entries']:.0f} entries) | {verdict(r['rss_mb'] < 200)} |",
        f"| revocation on the other instance < 1 s at max | median {r['revocation']['median_ms']:.1f} ms, max {r['revocation']['max_ms']:.1f} ms | {verdict(r['revocation']['max_ms'] < 1000)} |",
    ]
    commit = run(["git", "rev-parse", "--short", "HEAD"], capture=True, check=False).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    text = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu}), commit {commit}; "
        f"wrk 2 threads, {DURATION}, median of {ROUNDS} rounds; server, load generator and PostgreSQL "
        "(loopback TCP, no TLS, for Keyward and pgbench alike) on the same machine.",
        "",
        "| scenario | connections | requests/s | p50 ms | p99 ms | |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        *targets,
        "",
        "Criterion (per operation, median): " + "; ".join(f"{n}: {t}" for n, t in r["criterion"]),
        "",
    ])
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(r, f, indent=2, default=str)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
