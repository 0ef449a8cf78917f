#!/usr/bin/env python3
"""Time from process start to ready, and idle memory, of the switchboard binary.

"Ready" is the first 200 from GET /health (the database answered), measured from just
before the process is spawned. Each run uses a fresh data directory ("first start":
database created, migrations applied, admin key generated) or the previous run's
("restart"). Prints one line per case: median, p90, max (ms), then idle RSS.

usage: startup.py BINARY [--postgres URL_OF_A_ROLE_THAT_CAN_CREATE_DATABASES] [--runs N]
"""
import argparse, os, shutil, statistics, subprocess, tempfile, time, urllib.request


def start(binary, env):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = None
    while url is None:
        line = p.stdout.readline()
        if not line:
            raise SystemExit(f"switchboard exited: {p.wait()}")
        if line.startswith("listening on "):
            url = line.split(" ", 2)[2].strip()
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
    return p, url, (time.perf_counter() - t0) * 1000


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def psql(url, sql):
    subprocess.run(["psql", url, "-qc", sql], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def case(binary, name, runs, database_url=None, pg_admin=None):
    first, restart, rss = [], [], []
    for i in range(runs):
        data = tempfile.mkdtemp(prefix="sb-bench-")
        env = {"PATH": os.environ["PATH"], "SWITCHBOARD_HTTP_ADDR": "127.0.0.1:0",
               "SWITCHBOARD_DATA_DIR": data, "SWITCHBOARD_LOG": "warn"}
        db = None
        if pg_admin:
            db = f"sb_bench_{os.getpid()}_{i}"
            psql(pg_admin, f"CREATE DATABASE {db}")
            env["DATABASE_URL"] = pg_admin.rsplit("/", 1)[0] + "/" + db
        for bucket in (first, restart):
            p, _, ms = start(binary, env)
            bucket.append(ms)
            if bucket is restart:
                time.sleep(2)  # let the runtime settle: idle means idle
                rss.append(rss_kb(p.pid))
            p.terminate()
            p.wait()
        shutil.rmtree(data)
        if db:
            psql(pg_admin, f"DROP DATABASE {db} WITH (FORCE)")

    def fmt(xs):
        xs = sorted(xs)
        return f"median {statistics.median(xs):6.1f}  p90 {xs[int(len(xs) * 0.9) - 1]:6.1f}  max {xs[-1]:6.1f} ms"

    print(f"{name:9} first start   {fmt(first)}")
    print(f"{name:9} restart       {fmt(restart)}")
    print(f"{name:9} idle RSS      median {statistics.median(rss) / 1024:.1f} MB  max {max(rss) / 1024:.1f} MB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--postgres")
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    case(a.binary, "sqlite", a.runs)
    if a.postgres:
        case(a.binary, "postgres", a.runs, pg_admin=a.postgres)


main()
