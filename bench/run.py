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
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
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
    })
    # Keyward's defaults (RUST_LOG=info, the failed-check limit of 60 a
    # minute): the configuration measured is the one that ships.
    env.pop("RUST_LOG", None)
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


SERVERS = []


class Server:
    def __init__(self, port, extra=None, binary=None):
        self.port = port
        env = base_env({"KEYWARD_BIND": f"127.0.0.1:{port}", **(extra or {})})
        self.proc = subprocess.Popen([binary or BIN, "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(OUT, f"server-{port}-{len(SERVERS)}.log"), "w"))
        SERVERS.append(self)
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

    def verifications(self):
        """Token checks answered so far, whatever their result."""
        text = urllib.request.urlopen(self.base + "/metrics").read().decode()
        return sum(float(v) for v in re.findall(r"^keyward_token_verifications_total\{[^}]*\} (\S+)$", text, re.M))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)


def stop_all():
    for server in SERVERS:
        try:
            server.stop()
        except Exception:
            server.proc.kill()


class WrongAnswers(Exception):
    pass


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
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    elapsed = re.search(r"requests in ([\d.]+)(ms|s|m)", out)
    seconds = float(elapsed.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[elapsed.group(2)]
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "total": total, "seconds": seconds,
            "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0}


def median_of(rounds):
    return {k: statistics.median(r[k] for r in rounds) for k in ("rps", "p50", "p99")} | {
        "non2xx": sum(r["non2xx"] for r in rounds), "total": sum(r["total"] for r in rounds),
        "socket_errors": sum(r["socket_errors"] for r in rounds)}


def probe(url, headers, body, expect):
    """One request as the scenario's script sends it: its status must be
    `expect` (a failed sign-in must not be measured as a cheap redirect)."""
    req = urllib.request.Request(url, data=body.encode() if body else None, headers=headers)
    try:
        status = urllib.request.build_opener(NoRedirect).open(req, timeout=10).status
    except urllib.error.HTTPError as e:
        status = e.code
    if status != expect:
        raise WrongAnswers(f"{url}: expected {expect}, got {status}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_answers(name, res, expect_ok):
    """Every answer of a run is what the scenario expects: all 2xx for a
    valid request, none for a refused one; no socket errors."""
    if expect_ok is None:
        pass
    elif expect_ok and res["non2xx"]:
        raise WrongAnswers(f"{name}: {res['non2xx']} of {res['total']} answers were not 2xx")
    elif not expect_ok and res["non2xx"] != res["total"]:
        raise WrongAnswers(f"{name}: {res['total'] - res['non2xx']} of {res['total']} refusals were answered 2xx")
    if res["socket_errors"]:
        raise WrongAnswers(f"{name}: {res['socket_errors']} socket errors")


def scenario(name, url, script=None, env=None, connections=CONNECTIONS, expect_ok=True):
    results = {}
    wrk_short = dict(env or {})
    subprocess.run(["wrk", "-t2", "-c32", "-d2s", url] + (["-s", os.path.join(ROOT, "bench", "wrk", script)] if script else []),
                   env={**os.environ, **wrk_short}, stdout=subprocess.DEVNULL, check=True)
    for c in connections:
        rounds = [wrk(url, c, script, env) for _ in range(ROUNDS)]
        results[c] = median_of(rounds)
        log(f"{name} c={c}: {results[c]['rps']:.0f} req/s, p50 {results[c]['p50']:.2f} ms, p99 {results[c]['p99']:.2f} ms, "
            f"non-2xx {results[c]['non2xx']} of {results[c]['total']}, socket errors {results[c]['socket_errors']}")
        check_answers(f"{name} c={c}", results[c], expect_ok)
    return results


def once(name, server, tokens_file):
    """Every token of the file once, 32 connections, from a fresh instance:
    the time until the server has answered that many checks (its own count
    of verifications, polled), then wrk is stopped."""
    n = sum(1 for _ in open(tokens_file))
    before = server.verifications()
    started = time.monotonic()
    proc = subprocess.Popen(["wrk", "-t2", "-c32", "-d300s", "-s", os.path.join(ROOT, "bench", "wrk", "once.lua"),
                             server.base + "/api/v1/me"],
                            env={**os.environ, "TOKENS_FILE": tokens_file, "THREADS": "2"}, stdout=subprocess.DEVNULL)
    try:
        while server.verifications() - before < n:
            if time.monotonic() - started > 300:
                raise WrongAnswers(f"{name}: {n} checks not done in 300 s")
            time.sleep(0.01)
        seconds = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log(f"{name}: {n} checks in {seconds:.2f} s ({n / seconds:,.0f}/s)")
    return {"total": n, "seconds": seconds, "rate": n / seconds}


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


PGBOUNCER_PORT = 16432


def start_pgbouncer():
    """A PgBouncer in transaction mode in front of the bench database
    (Debian's; installed if missing)."""
    if not os.path.exists("/usr/sbin/pgbouncer"):
        log("installing pgbouncer")
        run(["apt-get", "install", "-y", "-qq", "pgbouncer"])
    conf_dir = "/tmp/keyward-bench-pgbouncer"
    os.makedirs(conf_dir, exist_ok=True)
    host = urllib.parse.urlparse(PG)
    with open(os.path.join(conf_dir, "pgbouncer.ini"), "w") as f:
        f.write(f"[databases]\n{DB} = host={host.hostname} port={host.port or 5432} user={host.username or 'postgres'}\n\n"
                f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {PGBOUNCER_PORT}\nunix_socket_dir =\n"
                "auth_type = any\npool_mode = transaction\nmax_client_conn = 1000\ndefault_pool_size = 16\n"
                f"query_timeout = 30\nlogfile = {conf_dir}/pgbouncer.log\n")
    shutil.chown(conf_dir, "postgres")
    proc = subprocess.Popen(["/usr/sbin/pgbouncer", "-u", "postgres", os.path.join(conf_dir, "pgbouncer.ini")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", PGBOUNCER_PORT), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pgbouncer did not start")


def main():
    os.makedirs(OUT, exist_ok=True)
    ensure_tools()
    build()
    global SEED
    if os.environ.get("KEYWARD_BENCH_RESEED", "1") == "0":
        # Reuse the database and tokens of the last run (quick reruns).
        last = sorted(d for d in os.listdir(os.path.dirname(OUT)) if os.path.isdir(os.path.join(os.path.dirname(OUT), d, "seed")))
        SEED = os.path.join(os.path.dirname(OUT), last[-1], "seed")
        log("reusing the seed of", SEED)
    else:
        seed()
    try:
        if os.environ.get("KEYWARD_BENCH_ONLY") == "targets":
            measure_targets()
        else:
            measure()
    finally:
        stop_all()


def measure_targets():
    """Only issue 18's targets: (e), (f) and pgbench side by side, the cold
    first pass (and RSS after it), the baseline, and PgBouncer."""
    personal, form, digest = read("personal.txt")[0], read("form.txt")[0], read("personal_digest.txt")[0]
    cid, sid = read("ids.txt")
    all_tokens = os.path.join(SEED, "all_tokens.txt")
    form_url = "/api/v1/campaigns/bench/sources/web/form"
    r = {"baseline": os.environ.get("KEYWARD_BENCH_BASELINE")}
    a = Server(PORT_A)
    r["f"] = scenario("(f) intake form", a.base + form_url, "form.lua", {"TOKEN": form})
    a.stop()
    r["pg_insert"] = pgbench(
        "INSERT INTO leads (campaign_id, source_id, status, fields, selects, created_at, updated_at) VALUES "
        f"({cid}, {sid}, 'new', '{{\"email\": \"bench@example.com\", \"name\": \"Bench\"}}', "
        "'{\"select_partner\": \"SELECT_PARTNER\"}', now(), now());\n")
    settle()
    nocache = Server(PORT_A, {"KEYWARD_CACHE": "false"})
    r["e"] = scenario("(e) /api/v1/me, cache off", nocache.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal})
    nocache.stop()
    r["pg_lookup"] = pgbench(
        "SELECT t.*, u.* FROM tokens t LEFT JOIN users u ON u.id = t.user_id "
        f"WHERE t.digest = decode('{digest}', 'hex');\n")
    cold = {"KEYWARD_FAILED_TOKEN_LIMIT": "0", "RUST_LOG": "warn"}
    fresh = Server(PORT_A, cold)
    r["e2"] = once("(e2) first pass over 100,000 tokens", fresh, all_tokens)
    r["rss_fresh_mb"] = fresh.peak_rss_mb()
    log(f"peak RSS after the first pass: {r['rss_fresh_mb']:.1f} MB")
    fresh.stop()
    if r["baseline"]:
        old = Server(PORT_A, cold, binary=r["baseline"])
        r["e2_base"] = once("(e2) first pass, baseline", old, all_tokens)
        old.stop()
    with open(os.path.join(OUT, "targets.json"), "w") as f:
        json.dump(r, f, indent=2, default=str)
    for k in ("e", "f"):
        x = r[k]
        for c in CONNECTIONS:
            print(f"| ({k}) | {c} | {x[c]['rps']:,.0f} | {x[c]['p50']:.2f} | {x[c]['p99']:.2f} | {x[c]['non2xx']:,} of {x[c]['total']:,} | {x[c]['socket_errors']} |")
    print(f"pgbench insert {r['pg_insert']:,.0f}, lookup {r['pg_lookup']:,.0f}; e2 {r['e2']['seconds']:.2f} s"
          + (f" vs {r['e2_base']['seconds']:.2f} s" if "e2_base" in r else "") + f"; RSS {r['rss_fresh_mb']:.0f} MB")


def measure():
    personal = read("personal.txt")[0]
    form = read("form.txt")[0]
    api = read("api.txt")[0]
    private = read("private.txt")[0]
    digest = read("personal_digest.txt")[0]
    cid, sid = read("ids.txt")
    files = {n: os.path.join(SEED, n) for n in ("unknown.txt", "broken.txt", "all_tokens.txt", "revocable.txt")}
    bearer = lambda token: {"Authorization": f"Bearer {token}"}
    form_body = open(os.path.join(ROOT, "bench", "wrk", "form.lua")).read().split("wrk.body = '")[1].rsplit("'", 1)[0]
    json_headers = lambda token: {**bearer(token), "Content-Type": "application/json"}
    r = {"baseline": os.environ.get("KEYWARD_BENCH_BASELINE")}

    a = Server(PORT_A)
    probe(a.base + "/livez", {}, None, 200)
    r["a"] = scenario("(a) /livez", a.base + "/livez")
    probe(a.base + "/api/v1/me", bearer(personal), None, 200)
    r["b"] = scenario("(b) /api/v1/me cached", a.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal})
    # Background work (the outbox poll) queries on its own: count an idle
    # stretch as long as the (c) runs, and compare.
    time.sleep(11)  # let the usage flush of (b) and idle sessions' statistics land first
    before = xact_count()
    time.sleep(C_SECONDS)
    r["idle_queries"] = xact_count() - before - 1
    misses_before, before = a.metric("keyward_token_cache_misses_total"), xact_count()
    probe(a.base + "/api/v1/me", bearer(read("broken.txt")[0]), None, 401)
    r["c"] = scenario("(c) broken checksum", a.base + "/api/v1/me", "rotate.lua", {"TOKENS_FILE": files["broken.txt"]},
                      expect_ok=False)
    r["c_queries"] = xact_count() - before - 1  # minus the counting query itself
    r["c_misses"] = a.metric("keyward_token_cache_misses_total") - (misses_before or 0)
    log(f"(c) database transactions: {r['c_queries']} during the runs, {r['idle_queries']} in as long idle; "
        f"cache lookups: {r['c_misses']:.0f}")
    r["a_lua"] = scenario("(a') /livez, same Lua request() as (c) and (d)", a.base + "/livez", "rotate.lua",
                          {"TOKENS_FILE": files["broken.txt"]})
    lookups_before = a.metric("keyward_token_cache_misses_total")
    r["d"] = scenario("(d) unknown tokens", a.base + "/api/v1/me", "rotate.lua", {"TOKENS_FILE": files["unknown.txt"]},
                      expect_ok=False)
    r["d_misses"] = a.metric("keyward_token_cache_misses_total") - (lookups_before or 0)
    probe(a.base + "/api/v1/campaigns/bench/sources/web/form", json_headers(form), form_body, 201)
    r["f"] = scenario("(f) intake form", a.base + f"/api/v1/campaigns/bench/sources/web/form", "form.lua", {"TOKEN": form})
    log("pgbench: the same insert, right after")
    r["pg_insert"] = pgbench(
        "INSERT INTO leads (campaign_id, source_id, status, fields, selects, created_at, updated_at) VALUES "
        f"({cid}, {sid}, 'new', '{{\"email\": \"bench@example.com\", \"name\": \"Bench\"}}', "
        "'{\"select_partner\": \"SELECT_PARTNER\"}', now(), now());\n")
    # The same submission where the campaign's token, then the global token, decides.
    r["f_campaign"] = scenario("(f) intake form, campaign token", a.base + "/api/v1/campaigns/bench-campaign/sources/web/form",
                               "form.lua", {"TOKEN": read("campaign.txt")[0]})
    r["f_global"] = scenario("(f) intake form, global token", a.base + "/api/v1/campaigns/bench-global/sources/web/form",
                             "form.lua", {"TOKEN": read("global.txt")[0]})
    settle()  # after the intake runs' inserts
    probe(a.base + "/api/v1/campaigns/bench/leads?limit=100", bearer(api), None, 200)
    r["g"] = scenario("(g) leads page of 100", a.base + "/api/v1/campaigns/bench/leads?limit=100", "bearer.lua", {"TOKEN": api})
    r["h"] = scenario("(h) introspection", a.base + "/api/v1/tokens/introspect", "introspect.lua", {"TOKEN": private, "SUBJECT": personal})
    settle()  # after introspection's audit entries
    cookie = sign_in(a.base)
    probe(a.base + "/settings/tokens", {"Cookie": cookie}, None, 200)
    r["i"] = scenario("(i) console token list", a.base + "/settings/tokens", "cookie.lua", {"COOKIE": cookie}, connections=[32])
    # 100,000 distinct tokens through the cache, then its size and peak RSS.
    once("(rss) 100,000 tokens", a, files["all_tokens.txt"])
    r["cache_entries"] = a.metric("keyward_token_cache_entries")
    r["rss_mb"] = a.peak_rss_mb()
    log(f"cache entries {r['cache_entries']}, peak RSS {r['rss_mb']:.1f} MB")

    b = Server(PORT_B)
    out = run([os.path.join(ROOT, "target", "release", "examples", "bench_revocation"), a.base, b.base, files["revocable.txt"]], capture=True).stdout
    r["revocation"] = json.loads(out.strip().splitlines()[-1])
    log("revocation delay", r["revocation"])
    b.stop()
    a.stop()

    # The cost of logging every request: the same (b) and (c) with RUST_LOG=warn.
    quiet = Server(PORT_A, {"RUST_LOG": "warn"})
    r["b_quiet"] = scenario("(b) cached, RUST_LOG=warn", quiet.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal}, connections=[32])
    r["c_quiet"] = scenario("(c) broken checksum, RUST_LOG=warn", quiet.base + "/api/v1/me", "rotate.lua",
                            {"TOKENS_FILE": files["broken.txt"]}, connections=[32], expect_ok=False)
    quiet.stop()

    # Cold checks: the cache off, and a fresh instance's first pass over
    # 100,000 distinct tokens (no failed-check limit: some are revoked).
    cold = {"KEYWARD_FAILED_TOKEN_LIMIT": "0", "RUST_LOG": "warn"}
    nocache = Server(PORT_A, {"KEYWARD_CACHE": "false"})
    r["e"] = scenario("(e) /api/v1/me, cache off", nocache.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal})
    r["e_distinct"] = scenario("(e) cache off, a different token each time", nocache.base + "/api/v1/me", "rotate.lua",
                               {"TOKENS_FILE": files["all_tokens.txt"]}, connections=[32], expect_ok=None)
    nocache.stop()
    log("pgbench: the same lookup, prepared, right after")
    r["pg_lookup"] = pgbench(
        "SELECT t.*, u.* FROM tokens t LEFT JOIN users u ON u.id = t.user_id "
        f"WHERE t.digest = decode('{digest}', 'hex');\n")
    fresh = Server(PORT_A, cold)
    r["e2"] = once("(e2) first pass over 100,000 tokens", fresh, files["all_tokens.txt"])
    fresh.stop()

    if r["baseline"]:
        old = Server(PORT_A, {"KEYWARD_CACHE": "false", **cold}, binary=r["baseline"])
        r["e_base"] = scenario("(e) cache off, baseline", old.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal}, connections=[32])
        old.stop()
        old = Server(PORT_A, cold, binary=r["baseline"])
        r["e2_base"] = once("(e2) first pass, baseline", old, files["all_tokens.txt"])
        r["f_base"] = scenario("(f) intake form, baseline", old.base + "/api/v1/campaigns/bench/sources/web/form", "form.lua",
                               {"TOKEN": form}, connections=[32])
        old.stop()
        settle()

    # Through PgBouncer (transaction mode), and the statement cache's part
    # of the difference: the same instance, direct, with the cache off.
    bouncer = start_pgbouncer()
    try:
        direct = f"{PG}/{DB}{PG_PARAMS}"
        pooled = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{PGBOUNCER_PORT}/{DB}?sslmode=disable",
                  "KEYWARD_DIRECT_DATABASE_URL": direct}
        unnamed = {"KEYWARD_DIRECT_DATABASE_URL": direct + "&application_name=keyward-direct"}
        for label, extra in (("pgbouncer", pooled), ("unnamed", unnamed)):
            srv = Server(PORT_A, {"KEYWARD_CACHE": "false", **extra})
            r[f"e_{label}"] = scenario(f"(e) cache off, {label}", srv.base + "/api/v1/me", "bearer.lua", {"TOKEN": personal},
                                       connections=[32])
            srv.stop()
            srv = Server(PORT_A, extra)
            r[f"f_{label}"] = scenario(f"(f) intake form, {label}", srv.base + "/api/v1/campaigns/bench/sources/web/form",
                                       "form.lua", {"TOKEN": form}, connections=[32])
            srv.stop()
    finally:
        bouncer.terminate()
        bouncer.wait(timeout=30)

    r["criterion"] = criterion() if os.environ.get("KEYWARD_BENCH_CRITERION", "1") != "0" else []
    report(r)


def report(r):
    a32 = r["a"][32]["rps"]
    rows = []

    def line(label, res, c):
        x = res[c]
        rows.append(f"| {label} | {c} | {x['rps']:,.0f} | {x['p50']:.2f} | {x['p99']:.2f} | {x['non2xx']:,} of {x['total']:,} | {x['socket_errors']} |")

    for key, label in [("a", "(a) `/livez`: no work"), ("a_lua", "(a') `/livez`, wrk running (c)'s Lua"), ("b", "(b) `GET /api/v1/me`, cached"),
                       ("c", "(c) broken checksum"), ("d", "(d) well-formed unknown tokens"), ("e", "(e) `GET /api/v1/me`, cache off"),
                       ("f", "(f) intake form (one insert), source token"),
                       ("f_campaign", "(f) intake form, campaign token"), ("f_global", "(f) intake form, global token"),
                       ("g", "(g) leads page of 100, filtered"), ("h", "(h) introspection")]:
        for c in CONNECTIONS:
            line(label, r[key], c)
    for key, label in [("i", "(i) console token list (100,000 tokens)"), ("b_quiet", "(b) cached, `RUST_LOG=warn`"),
                       ("c_quiet", "(c) broken checksum, `RUST_LOG=warn`"), ("e_distinct", "(e) cache off, a different token each request"),
                       ("e_base", "(e) cache off, **before** (baseline binary)"), ("f_base", "(f) intake form, **before** (baseline binary)"),
                       ("e_pgbouncer", "(e) cache off, through PgBouncer"), ("f_pgbouncer", "(f) intake form, through PgBouncer"),
                       ("e_unnamed", "(e) cache off, direct, statement cache off"), ("f_unnamed", "(f) intake form, direct, statement cache off")]:
        if key in r:
            line(label, r[key], 32)

    def verdict(ok):
        return "met" if ok else "**missed**"

    b, c, d, e, f = (r[k][32]["rps"] for k in "bcdef")
    al = r["a_lua"][32]["rps"]
    targets = [
        f"| (b) with the defaults vs `RUST_LOG=warn` | {b:,.0f} vs {r['b_quiet'][32]['rps']:,.0f} req/s: {b / r['b_quiet'][32]['rps']:.0%} | |",
        f"| (c) with the defaults vs `RUST_LOG=warn` | {c:,.0f} vs {r['c_quiet'][32]['rps']:,.0f} req/s: {c / r['c_quiet'][32]['rps']:.0%} | |",
        f"| (b) ≥ 80% of (a), p99 < 5 ms at 32 | {b / a32:.0%}, p99 {r['b'][32]['p99']:.2f} ms | {verdict(b >= 0.8 * a32 and r['b'][32]['p99'] < 5)} |",
        f"| (c) ≥ 90% of (a), no database query | {c / a32:.0%} ({c / al:.0%} of (a')); {r['c_misses']:.0f} lookups, "
        f"{r['c_queries']} transactions vs {r['idle_queries']} idle | {verdict(c >= 0.9 * a32 and r['c_misses'] == 0)} |",
        f"| (d) ≥ 80% of (a) | {d / a32:.0%} ({d / al:.0%} of (a')); {r['d_misses']:.0f} lookups for 10,000 distinct tokens "
        f"(negative entries live 5 min) | {verdict(d >= 0.8 * a32)} |",
        f"| (e) cache off ≥ 100% of pgbench's prepared lookup at 32 | {e:,.0f} vs {r['pg_lookup']:,.0f} tps: {e / r['pg_lookup']:.0%} | {verdict(e >= r['pg_lookup'])} |",
        f"| (f) intake ≥ 100% of pgbench's insert at 32 | {f:,.0f} vs {r['pg_insert']:,.0f} tps: {f / r['pg_insert']:.0%} | {verdict(f >= r['pg_insert'])} |",
    ]
    if "e2_base" in r:
        speedup = r["e2_base"]["seconds"] / r["e2"]["seconds"]
        targets.append(f"| first 100,000 distinct checks after a restart ≥ 3× faster | {r['e2']['seconds']:.2f} s vs {r['e2_base']['seconds']:.2f} s before: "
                       f"{speedup:.1f}× | {verdict(speedup >= 3)} |")
    else:
        targets.append(f"| first 100,000 distinct checks after a restart | {r['e2']['seconds']:.2f} s ({r['e2']['rate']:,.0f}/s); no baseline given | |")
    if "e_pgbouncer" in r:
        targets.append(f"| through PgBouncer: (e) and (f) | {r['e_pgbouncer'][32]['rps']:,.0f} ({r['e_pgbouncer'][32]['rps'] / e:.0%} of direct) and "
                       f"{r['f_pgbouncer'][32]['rps']:,.0f} ({r['f_pgbouncer'][32]['rps'] / f:.0%}) | |")
        targets.append(f"| statement cache off, direct: (e) and (f) | {r['e_unnamed'][32]['rps']:,.0f} ({r['e_unnamed'][32]['rps'] / e:.0%} of cached) and "
                       f"{r['f_unnamed'][32]['rps']:,.0f} ({r['f_unnamed'][32]['rps'] / f:.0%}) | |")
    targets += [
        f"| (i) p50 < 20 ms | {r['i'][32]['p50']:.2f} ms | {verdict(r['i'][32]['p50'] < 20)} |",
        f"| peak RSS < 200 MB with 100,000 tokens cached | {r['rss_mb']:.0f} MB ({r['cache_entries']:.0f} entries) | {verdict(r['rss_mb'] < 200)} |",
        f"| revocation on the other instance < 1 s at max | median {r['revocation']['median_ms']:.1f} ms, max {r['revocation']['max_ms']:.1f} ms | {verdict(r['revocation']['max_ms'] < 1000)} |",
    ]
    commit = run(["git", "rev-parse", "--short", "HEAD"], capture=True, check=False).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    text = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu}), commit {commit}"
        + (f" (baseline: {r['baseline']})" if r["baseline"] else "")
        + "; Keyward's default configuration (`RUST_LOG=info`, the failed-check limit on) unless a row says otherwise; "
        f"wrk 2 threads, {DURATION}, median of {ROUNDS} rounds (non-2xx and socket errors: all rounds); server, load generator and PostgreSQL "
        "(loopback TCP, no TLS, for Keyward and pgbench alike) on the same machine. A run fails if any answer is not what its scenario expects.",
        "",
        "| scenario | connections | requests/s | p50 ms | p99 ms | non-2xx | socket errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        *targets,
        "",
        ("Criterion (per operation, median): " + "; ".join(f"{n}: {t}" for n, t in r["criterion"])) if r["criterion"] else "",
        "",
    ])
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(r, f, indent=2, default=str)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
