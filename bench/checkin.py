"""Gate check-in load: paired scanner phones replay ticket codes against /api/checkin/scan.

Runs against PostgreSQL and gunicorn on 127.0.0.1 only:

1. recreates the database in --database-url (default chunfeng_bench_chk; only a name containing
   "bench" is ever dropped), migrates it, and bulk-creates one job fair happening now with one
   session, 50,000 workers with confirmed registrations (ticket hashes written as the service
   writes them) and a scanner device with its bearer token;
2. starts gunicorn with bench.settings_bench, whose URLs add /bench/checkin/: the same JSON in,
   one indexed SELECT (registration by ticket hash) and one INSERT out, behind the same
   middleware. That is the floor the scan endpoint is compared with;
3. at each concurrency level (4, 16, 32 client threads) posts scans for a fixed time, each with a
   fresh nonce: valid codes never sent before, 5% repeats of codes already answered and 1% unknown
   codes; then the same mix against the bare view;
4. prints scans per second and p50/p95/p99 latency per level for both, the ratio scan / bare, and
   checks: every answer is the one its code deserves (checked_in, already_checked_in,
   unknown_code), no errors, the peak-throughput ratio at least 0.7, and afterwards exactly one
   CheckIn row per distinct valid code sent. The exit status is 1 when a target is missed.

Everything is bounded by --budget; load runs for --seconds per level and endpoint.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import PYTHON, Deadline, recreate_database, run, start_gunicorn, stop  # noqa: E402
from bench.registration_burst import Figures, bench_env, setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/chunfeng_bench_chk"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/12"  # check-in queues nothing; settings want one
DUPLICATE_SHARE = 0.05
UNKNOWN_SHARE = 0.01
TARGET_RATIO = 0.7
REQUEST_TIMEOUT = 30.0
SCAN_PATH = "/api/checkin/scan"
BARE_PATH = "/bench/checkin/"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL)
    parser.add_argument("--registrations", type=int, default=50_000)
    parser.add_argument("--levels", default="4,16,32", help="client threads, comma-separated")
    parser.add_argument("--seconds", type=float, default=10, help="per level and endpoint")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=900, help="seconds for everything")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


# Data --------------------------------------------------------------------------------------------


def prepare_data(count: int) -> tuple[int, list[str], str]:
    """The fair, its session, the workers and registrations, a device. Returns the event id,
    the ticket tokens and the device token."""
    from django.db import connection
    from django.utils import timezone

    from events import services, tickets
    from events.models import (
        Event,
        EventKind,
        Registration,
        RegistrationChannel,
        RegistrationStatus,
        ScannerDevice,
        Session,
    )
    from trainees.models import Region, Worker

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_checkin (id bigserial PRIMARY KEY, "
            "registration_id bigint, nonce varchar(64) NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    now = timezone.now()
    event = Event.objects.create(
        kind=EventKind.JOB_FAIR,
        title="2026年春风行动大型招聘会（签到压力测试）",
        venue="南宁国际会展中心",
        address="南宁市青秀区民族大道111号",
        region=Region.objects.get(code="450102000000"),
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=7),
        live=True,
    )
    Session.objects.create(
        event=event, title="全天", starts_at=event.starts_at, ends_at=event.ends_at
    )
    workers = Worker.objects.bulk_create(
        [Worker(name=f"测试求职者{i}", phone=f"136{i:08d}") for i in range(count)],
        batch_size=2000,
    )
    registrations, tokens = [], []
    for worker in workers:
        registration = Registration(
            event=event,
            worker=worker,
            status=RegistrationStatus.CONFIRMED,
            channel=RegistrationChannel.SELF,
            confirmed_at=now,
        )
        token = tickets.ticket_token(registration)  # from event, worker and version: no id needed
        registration.ticket_hash = tickets.ticket_hash_for(token)
        registrations.append(registration)
        tokens.append(token)
    Registration.objects.bulk_create(registrations, batch_size=2000)
    Event.objects.filter(pk=event.pk).update(seats_taken=count)
    _device, device_token = services.create_scanner_device(
        event_id=event.pk, label="压力测试 1号门", by=None
    )
    filled = (Event, Session, Worker, Registration, ScannerDevice)
    with connection.cursor() as cursor:
        # Plans for 50,000 rows, not for the empty tables of migrate. Only the tables filled
        # here: a table analysed while empty is planned as empty (a sequential scan for every
        # foreign-key check into it) until autovacuum analyses it again, which a run of a
        # minute does not see. A site's check-in tables have rows, or were never analysed.
        cursor.execute(f"ANALYZE {', '.join(model._meta.db_table for model in filled)}")
    return event.pk, tokens, device_token


class CodeMix:
    """Hands out codes: valid ones never sent before, DUPLICATE_SHARE repeats of codes already
    answered (never one still in flight, whose first answer could come second) and
    UNKNOWN_SHARE made-up ones. Thread-safe; StopIteration when the valid codes run out."""

    def __init__(self, tokens: list[str], seed: int):
        self._fresh: Iterator[str] = iter(tokens)
        self._answered: list[str] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.sent_valid: set[str] = set()

    def next(self) -> tuple[str, str]:
        with self._lock:
            roll = self._random.random()
            if roll < UNKNOWN_SHARE:
                made_up = base64.b32encode(self._random.randbytes(16)).decode().rstrip("=")
                return "unknown", made_up
            if roll < UNKNOWN_SHARE + DUPLICATE_SHARE and self._answered:
                return "duplicate", self._random.choice(self._answered)
            code = next(self._fresh)
            self.sent_valid.add(code)
            return "fresh", code

    def answered(self, code: str) -> None:
        with self._lock:
            self._answered.append(code)


# Load --------------------------------------------------------------------------------------------


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(content)
    except ValueError:
        return response.status, {}


def load(
    *,
    port: int,
    path: str,
    headers: dict[str, str],
    mix: CodeMix,
    event_id: int,
    concurrency: int,
    seconds: float,
    expect: Callable[[str], str],
    name: str,
) -> Figures:
    """`concurrency` threads post back to back until `seconds` have passed."""
    figures = Figures(name)
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    stop_at = 0.0

    def client() -> None:
        barrier.wait(timeout=60)
        while time.monotonic() < stop_at:
            try:
                kind, code = mix.next()
            except StopIteration:
                with lock:  # an error, not a shorter measurement
                    figures.errors.append("ran out of valid codes (see --registrations)")
                return
            body = {
                "event": event_id,
                "session": None,
                "code": code,
                "direction": "in",
                "gate": "1号门",
                "nonce": uuid.uuid4().hex,
                "scanned_at": None,
            }
            started = time.perf_counter()
            try:
                status, data = post(port, path, json.dumps(body).encode(), headers)
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    figures.errors.append(f"{kind}: {type(error).__name__}: {error}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            answer = data.get("status", "")
            with lock:
                figures.statuses[f"{status} {answer}"] += 1
                if status == 200 and answer == expect(kind):
                    figures.latencies_ms.append(elapsed)
                else:
                    message = str(data.get("message", ""))[:80]
                    figures.errors.append(f"{kind}: HTTP {status} {answer} {message}")
            if kind == "fresh" and status == 200:
                mix.answered(code)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    stop_at = time.monotonic() + seconds
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    figures.seconds = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):
        figures.errors.append("client threads still running at the deadline")
    return figures


def scan_answer(kind: str) -> str:
    return {"fresh": "checked_in", "duplicate": "already_checked_in"}.get(kind, "unknown_code")


def bare_answer(kind: str) -> str:
    return "unknown_code" if kind == "unknown" else "checked_in"


def warm_up(port: int, headers: dict[str, str], event_id: int, workers: int) -> None:
    """Every gunicorn worker imports, connects and fills its caches before the clock runs.
    Unknown codes only: they log a scan but check nobody in."""
    for path in (SCAN_PATH, BARE_PATH):
        for _ in range(10 * workers):
            body = {"event": event_id, "code": "WARMUP" * 4 + "AA", "nonce": uuid.uuid4().hex}
            body.update(direction="in", gate="warm-up", session=None)
            post(port, path, json.dumps(body).encode(), headers)


def database_counts(event_id: int) -> dict[str, int]:
    from django.db import connection

    from events.models import CheckIn, ScanLog

    connection.close()  # a fresh connection: see what the server committed
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_checkin")
        bare_rows = cursor.fetchone()[0]
    checkins = CheckIn.objects.filter(registration__event_id=event_id)
    return {
        "checkins": checkins.count(),
        "live_checkins": checkins.filter(undone_at__isnull=True).count(),
        "scan_log": ScanLog.objects.filter(event_id=event_id).count(),
        "bare_rows": bare_rows,
    }


def git_sha() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main() -> int:
    args = parse_args()
    if "bench" not in urllib.parse.urlsplit(args.database_url).path:
        raise SystemExit("bench/checkin.py: the database name must contain 'bench'")
    levels = [int(level) for level in args.levels.split(",")]
    deadline = Deadline(args.budget)
    env = bench_env(args)
    recreate_database(args.database_url, keep=False, deadline=deadline)
    run([PYTHON, "manage.py", "migrate", "--noinput"], env, deadline.left(300), "migrate")
    setup_django(env)
    print(f"… one fair, {args.registrations:,} registrations with ticket hashes", flush=True)
    started = time.perf_counter()
    event_id, tokens, device_token = prepare_data(args.registrations)
    print(f"  data ready in {time.perf_counter() - started:.1f} s", flush=True)
    # Each endpoint draws from every code (the bare view from the other end): the bare view
    # writes no check-ins, so the CheckIn count still equals the codes scanned. Halves ran out
    # within a default run once scans passed 800 a second.
    scan_mix = CodeMix(tokens, seed=args.seed)
    bare_mix = CodeMix(tokens[::-1], seed=args.seed + 1)
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {device_token}",
        "Accept-Language": "zh-hans",
        "Host": "127.0.0.1",
    }

    log = Path(tempfile.gettempdir()) / "chunfeng-checkin-gunicorn.log"
    process, base = start_gunicorn(env, args.workers, log, deadline)
    port = urllib.parse.urlsplit(base).port
    rounds: list[tuple[int, Figures, Figures]] = []
    try:
        warm_up(port, headers, event_id, args.workers)
        for level in levels:
            seconds = min(args.seconds, deadline.left(args.seconds * 3) / 3)
            print(f"… {level} client threads, {seconds:.0f} s each endpoint", flush=True)
            common = {"port": port, "headers": headers, "event_id": event_id, "seconds": seconds}
            scan = load(
                path=SCAN_PATH,
                mix=scan_mix,
                concurrency=level,
                expect=scan_answer,
                name="scan API",
                **common,
            )
            bare = load(
                path=BARE_PATH,
                mix=bare_mix,
                concurrency=level,
                expect=bare_answer,
                name="bare SELECT+INSERT",
                **common,
            )
            rounds.append((level, scan, bare))
    finally:
        stop(process)
    counts = database_counts(event_id)

    print()
    print(
        f"{args.registrations:,} registrations, gunicorn {args.workers} sync workers, "
        f"PostgreSQL, {os.cpu_count()} CPUs, git {git_sha()}; "
        f"mix: {DUPLICATE_SHARE:.0%} repeats, {UNKNOWN_SHARE:.0%} unknown codes"
    )
    header = (
        f"{'threads':>7} {'endpoint':<20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    print(header + f" {'errors':>7} {'ratio':>6}")
    for level, scan, bare in rounds:
        ratio = scan.throughput / bare.throughput if bare.throughput else 0.0
        for figures, shown in ((scan, ""), (bare, f"{ratio:.2f}")):
            print(
                f"{level:>7} {figures.name:<20} {figures.throughput:>8.1f} "
                f"{figures.percentile(0.5):>8.1f} {figures.percentile(0.95):>8.1f} "
                f"{figures.percentile(0.99):>8.1f} {len(figures.errors):>7} {shown:>6}"
            )
    peak_scan = max(scan.throughput for _level, scan, _bare in rounds)
    peak_bare = max(bare.throughput for _level, _scan, bare in rounds)
    peak_ratio = peak_scan / peak_bare if peak_bare else 0.0
    answers = Counter()
    for _level, scan, _bare in rounds:
        answers.update(scan.statuses)
    print(f"scan answers: {dict(answers)}")
    print(
        f"peak throughput: scan {peak_scan:.1f}/s, bare {peak_bare:.1f}/s, "
        f"ratio {peak_ratio:.2f} (target ≥ {TARGET_RATIO})"
    )
    print(
        f"CheckIn rows {counts['checkins']} (live {counts['live_checkins']}), distinct valid "
        f"codes scanned {len(scan_mix.sent_valid)}, scan log rows {counts['scan_log']}"
    )
    errors = [error for _level, scan, bare in rounds for error in scan.errors + bare.errors]
    for error, count in Counter(errors).most_common(5):
        print(f"  error ×{count}: {error}")

    missed = []
    if counts["checkins"] != len(scan_mix.sent_valid):
        missed.append("one CheckIn per distinct valid code")
    if errors:
        missed.append("no errors, every answer as expected")
    if peak_ratio < TARGET_RATIO:
        missed.append(f"ratio ≥ {TARGET_RATIO}")
    print("targets met" if not missed else f"TARGETS MISSED: {', '.join(missed)}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "git": git_sha(),
                    "cpus": os.cpu_count(),
                    "registrations": args.registrations,
                    "workers": args.workers,
                    "levels": [
                        {
                            "threads": level,
                            "scan": scan.as_dict(),
                            "bare": bare.as_dict(),
                            "ratio": round(scan.throughput / bare.throughput, 3)
                            if bare.throughput
                            else None,
                        }
                        for level, scan, bare in rounds
                    ],
                    "peak_ratio": round(peak_ratio, 3),
                    "counts": counts,
                    "distinct_valid_codes": len(scan_mix.sent_valid),
                    "missed": missed,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
