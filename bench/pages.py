#!/usr/bin/env python
"""Page benchmark: latency and SQL query count of the public pages, small data vs full scale.

Runs against PostgreSQL and gunicorn on 127.0.0.1 only:

1. (re)creates the benchmark database, migrates it and seeds the demo site (`seed_demo`);
2. starts gunicorn and times N sequential requests per page after a warm-up, and counts the
   SQL queries of one warm request per page in-process (django.test.Client under the same
   settings);
3. adds the scale data (`seed_demo --scale`: 1,000 events, 10,000 listings, a 100-employer
   fair) and measures again;
4. prints median / p95 latency, query counts and the full-scale / small median ratio against
   the targets (≤ 15 queries per page, ratio ≤ 1.5×).

Usage: .venv/bin/python bench/pages.py [--requests 50] [--warmup 5] [--keep-db] (see --help).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/chunfeng_bench"
MAX_QUERIES = 15
MAX_RATIO = 1.5


@dataclass
class Page:
    key: str
    label: str
    path: str


@dataclass
class Result:
    latencies_ms: list[float]
    queries: list[tuple[str, float]] = field(default_factory=list)  # (sql, seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies_ms)  # nearest-rank percentile
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Deadline:
    """One overall time budget; every wait below is capped by what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, cap: float) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise SystemExit("bench/pages.py: time budget exhausted (see --budget)")
        return min(cap, remaining)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/3", help="'' for locmem")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    # One worker by default: requests are sequential, and with several workers the warm-up
    # requests are spread over them, leaving some cold for the timed ones.
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument("--budget", type=float, default=1800, help="overall time limit, seconds")
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="reuse the database instead of dropping and recreating it (scale data already "
        "in it makes the 'small' figures meaningless)",
    )
    parser.add_argument("--show-queries", action="store_true", help="print every page's SQL")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    """Settings for gunicorn, manage.py and the in-process client alike.

    config.settings.dev with DEBUG off rather than production: production's manifest static
    storage needs `collectstatic` output in the project directory, and its HTTPS settings would
    redirect every plain-HTTP request. Dev with DEBUG=false still has DEBUG's costs switched off
    (no query log, cached templates) and uses the same PostgreSQL and persistent connections.
    """
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only-not-secret"),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=args.database_url,
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if args.cache_url:
        env["CACHE_URL"] = args.cache_url
    else:
        env.pop("CACHE_URL", None)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float, what: str) -> None:
    started = time.monotonic()
    print(f"… {what}", flush=True)
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"bench/pages.py: {what} failed (exit {done.returncode})")
    print(f"  done in {time.monotonic() - started:.1f}s", flush=True)


def recreate_database(url: str, keep: bool, deadline: Deadline) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("bench/pages.py: DATABASE_URL must point at PostgreSQL")
    name = parts.path.lstrip("/")
    conn = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    conn += ["-U", urllib.parse.unquote(parts.username or "postgres")]
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    # The name goes in as a psql variable (:'name' quotes it), read from stdin since -c does
    # not interpolate variables.
    exists = subprocess.run(
        ["psql", *conn, "-d", "postgres", "-tA", "-v", f"name={name}"],
        input="SELECT 1 FROM pg_database WHERE datname = :'name';\n",
        env=env, capture_output=True, text=True, timeout=deadline.left(60), check=True,
    ).stdout.strip() == "1"  # fmt: skip
    if exists and keep:
        return
    if exists:
        # Only ever drop a database that is obviously a benchmark's own.
        if "bench" not in name:
            raise SystemExit(f"bench/pages.py: refusing to drop {name!r}; use --keep-db")
        subprocess.run(["dropdb", *conn, "--force", name], env=env, timeout=deadline.left(120), check=True)  # fmt: skip
    subprocess.run(["createdb", *conn, name], env=env, timeout=deadline.left(60), check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Plain urllib without proxies: requests must reach 127.0.0.1 directly.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, timeout: float) -> float:
    started = time.perf_counter()
    with OPENER.open(url, timeout=timeout) as response:
        response.read()
        if response.status != 200:
            raise SystemExit(f"bench/pages.py: {url} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def start_gunicorn(env: dict[str, str], workers: int, log: Path, deadline: Deadline):
    port = free_port()
    gunicorn = str(VENV_BIN / "gunicorn") if (VENV_BIN / "gunicorn").exists() else "gunicorn"
    cmd = [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    cmd += ["--timeout", "60", "--access-logfile", "-"]
    handle = log.open("w")
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until = time.monotonic() + deadline.left(60)
    while time.monotonic() < wait_until:
        if process.poll() is not None:
            raise SystemExit(f"bench/pages.py: gunicorn exited; see {log}")
        try:
            fetch(base + "/healthz", timeout=2)
            return process, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"bench/pages.py: gunicorn did not answer /healthz; see {log}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()  # only the gunicorn master this script started, by its pid
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    # WhiteNoise warns that STATIC_ROOT is missing: irrelevant, no static file is fetched.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def analyze() -> None:
    """Refresh planner statistics after a bulk load, as autovacuum would within a minute or so;
    without it the first phase can run on plans made for empty tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def pages_for_phase(scale: bool) -> list[Page]:
    from cms import demo
    from events.models import Event, EventKind

    biggest = max(demo.FAIRS, key=lambda fair: fair.booths)
    fair = Event.objects.get(kind=EventKind.JOB_FAIR, title=biggest.title)
    pages = [
        Page("home", "home /", "/"),
        Page("events", "event listing /events/", "/events/"),
        Page("fair", f"demo fair ({biggest.booths} booths)", f"/events/{fair.pk}/"),
        Page("jobs", "job search /jobs/?q=焊工", "/jobs/?" + urllib.parse.urlencode({"q": "焊工"})),
    ]
    if scale:
        big = Event.objects.get(title=demo.SCALE_FAIR_TITLE)
        pages.insert(3, Page("bigfair", "百企 fair (100 booths)", f"/events/{big.pk}/"))
    return pages


def count_queries(path: str) -> list[tuple[str, float]]:
    """SQL of one warm request, rendered in-process under the same settings as gunicorn."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(path)  # warm: site root paths, Site lookup, template loading
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"bench/pages.py: in-process {path} answered {response.status_code}")
    return [(query["sql"], float(query["time"])) for query in captured.captured_queries]


def measure(
    base: str, pages: list[Page], args: argparse.Namespace, deadline: Deadline
) -> dict[str, Result]:
    results = {}
    for page in pages:
        url = base + page.path
        for _ in range(args.warmup):
            fetch(url, timeout=deadline.left(30))
        latencies = [fetch(url, timeout=deadline.left(30)) for _ in range(args.requests)]
        results[page.key] = Result(latencies, count_queries(page.path))
        print(f"  {page.label:32} {results[page.key].median:8.1f} ms median", flush=True)
    return results


def shape(sql: str) -> str:
    """A query with its literals blanked, to group repeats (an N+1 shows as one big count)."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    return re.sub(r"\b\d+\b", "?", sql)


def report(
    pages: list[Page], small: dict[str, Result], full: dict[str, Result], args: argparse.Namespace
) -> list[str]:
    print()
    print(
        f"{args.requests} sequential requests per page after {args.warmup} warm-up; latency in ms."
    )
    print(
        f"Targets: ≤ {MAX_QUERIES} queries per page; full-scale median ≤ {MAX_RATIO}× small median."
    )
    header = f"{'page':34}{'queries':>13}{'small med':>11}{'p95':>8}{'full med':>10}{'p95':>8}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    problems, slower, missed = [], [], []
    for page in pages:
        after = full[page.key]
        # The 百企 fair has no small-data twin: compare it with the biggest demo fair.
        before = small.get(page.key) or small["fair"]
        ratio = after.median / before.median
        queries = f"{len(before.queries) if page.key in small else '-'}/{len(after.queries)}"
        flags = []
        if max(len(after.queries), len(before.queries)) > MAX_QUERIES:
            flags.append("QUERIES")
            problems.append(page.key)
            missed.append(page.key)
        if ratio > MAX_RATIO:
            flags.append("SLOWER")
            slower.append(page.key)
            if page.key in small:  # the 百企 fair's ratio is informational: a bigger page
                missed.append(page.key)
        note = "" if page.key in small else " (vs demo fair; informational)"
        print(
            f"{page.label:34}{queries:>13}{before.median:>11.1f}{before.p95:>8.1f}"
            f"{after.median:>10.1f}{after.p95:>8.1f}{ratio:>7.2f}×"
            f"  {'ok' if not flags else ' '.join(flags)}{note}"
        )
    for page in pages:
        queries = full[page.key].queries
        if page.key in problems or args.show_queries:
            print(f"\nQueries for {page.label} at full scale ({len(queries)}), grouped:")
            for sql, count in Counter(shape(sql) for sql, _ in queries).most_common():
                print(f"  {count:3d}× {sql[:300]}")
        if page.key in slower or args.show_queries:
            # In-process timings of one request: which queries grew with the data.
            print(f"\nSlowest queries for {page.label} at full scale:")
            for sql, seconds in sorted(queries, key=lambda q: -q[1])[:3]:
                print(f"  {seconds * 1000:7.1f} ms  {sql[:400]}")
    return missed


def main() -> int:
    args = parse_args()
    deadline = Deadline(args.budget)
    env = bench_env(args)
    manage = [PYTHON, "manage.py"]
    database = urllib.parse.urlsplit(args.database_url).path.lstrip("/")
    print(f"Database {database}; gunicorn ×{args.workers}; config.settings.dev with DEBUG=false")

    recreate_database(args.database_url, args.keep_db, deadline)
    run([*manage, "migrate", "--noinput", "-v0"], env, deadline.left(600), "migrate")
    run([*manage, "seed_demo", "--force"], env, deadline.left(600), "seed_demo (small)")
    setup_django(env)

    logdir = Path(tempfile.mkdtemp(prefix="chunfeng-bench-"))
    process, base = start_gunicorn(env, args.workers, logdir / "gunicorn.log", deadline)
    try:
        analyze()
        print("Small demo data:")
        small_pages = pages_for_phase(scale=False)
        small = measure(base, small_pages, args, deadline)
        run(
            [*manage, "seed_demo", "--scale", "--force"],
            env,
            deadline.left(900),
            "seed_demo --scale",
        )
        analyze()
        print("Full scale:")
        full_pages = pages_for_phase(scale=True)
        full = measure(base, full_pages, args, deadline)
    finally:
        stop(process)
    missed = report(full_pages, small, full, args)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    phase: {
                        key: {"median_ms": r.median, "p95_ms": r.p95, "queries": len(r.queries)}
                        for key, r in results.items()
                    }
                    for phase, results in (("small", small), ("full", full))
                },
                indent=2,
            )
        )
    shutil.rmtree(logdir, ignore_errors=True)
    return 1 if missed else 0  # non-zero when a target is missed


if __name__ == "__main__":
    sys.exit(main())
