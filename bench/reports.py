#!/usr/bin/env python
"""Statistics benchmark: the statistics pages and the roster export at city scale.

Runs against PostgreSQL, Redis (cache) and gunicorn on 127.0.0.1 only:

1. for each size, 10 % and full, (re)creates the database in --database-url (only a name
   containing "bench" is ever dropped), migrates it and seeds it in-process:
   full = 100,000 workers in 1,404 villages, 500 events (400 one-day fairs with 2,500
   registrations and 2,250 check-ins each; 100 classes of 50 trainees over 20 sessions, every
   session signed in): 1,000,000 check-ins, plus booths, employers present, job listings and
   intentions; 10 % = 10,000 workers, 40 fairs and 10 classes of the same sizes, so one event's
   page has the same data in both and only the size of the tables around it differs. Then it
   ANALYZEs and counts every event's summary, as beat would have;
2. starts gunicorn and times sequential requests (after a warm-up) of the event statistics page
   of the first fair, the training page of the first class and the campaign overview of
   everything, signed in as a Bureau statistics user; counts the SQL queries of one warm request
   of each in-process (the whole request: session, user, permissions, menu, page);
3. at full size, adds two events with 10,000 and 100,000 confirmed registrations and exports
   their 花名册 roster as XLSX with full ID numbers (a subsidy officer's export, the heaviest:
   every ID number decrypted), each in a fresh process through the Celery task's code path
   (events.reports.services.run_export), reporting its time and the process's peak memory;
4. prints the figures and checks the targets: ≤ 20 queries per page; full-size median ≤ 2× the
   10 % median (every page, the training page too); each export wrote every requested row with
   full ID numbers, its peak memory < 250 MB and growing less than 2× from 10,000 to 100,000
   rows. The exit status is 1 when one is missed.

Usage: .venv/bin/python bench/reports.py [--requests 30] [--json out.json] (see --help).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages  # noqa: E402
from bench.pages import (  # noqa: E402
    PYTHON,
    Deadline,
    Result,
    analyze,
    recreate_database,
    run,
    setup_django,
    start_gunicorn,
    stop,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/chunfeng_bench_stats"
MAX_QUERIES = 20
MAX_RATIO = 2.0
MAX_EXPORT_MB = 250
MAX_EXPORT_GROWTH = 2.0
FAIR_REGISTRATIONS, FAIR_ARRIVALS = 2_500, 2_250
CLASS_TRAINEES, CLASS_SESSIONS = 50, 20
EXPORT_SIZES = (10_000, 100_000)
TOWNSHIPS_PER_COUNTY, VILLAGES_PER_TOWNSHIP = 9, 13  # 12 × 9 × 13 = 1,404 villages


@dataclass(frozen=True)
class Size:
    name: str
    workers: int
    fairs: int
    classes: int


SIZES = (Size("10%", 10_000, 40, 10), Size("full", 100_000, 400, 100))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/4", help="'' for locmem")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--budget", type=float, default=3600, help="overall time limit, seconds")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--export-child", type=int, help=argparse.SUPPRESS)  # internal
    return parser.parse_args()


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    """bench/pages.py's settings (config.settings.dev with DEBUG off, Redis as cache), and a
    private directory of the run's own for the export files."""
    env = pages.bench_env(args)
    env["CHUNFENG_PRIVATE_ROOT"] = tempfile.mkdtemp(prefix="chunfeng-bench-private-")
    return env


# Seeding -----------------------------------------------------------------------------------------


def credit_code(serial: int) -> str:
    from stdnum.cn import uscc

    body = f"91450100MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


def seed(size: Size) -> dict[str, int]:
    """The scale data, in-process: bulk inserts, COPY for the two big tables."""
    from django.db import connection
    from stdnum.cn import ric

    from events.models import (
        Booth,
        Campaign,
        Employer,
        EmployerCheckIn,
        EmployerSize,
        Event,
        EventKind,
        Industry,
        Intention,
        JobListing,
        Registration,
        Session,
    )
    from trainees import crypto
    from trainees.id_numbers import mask
    from trainees.models import Region, RegionLevel, Worker

    rng = random.Random(2026)
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))
    townships = Region.objects.bulk_create(
        Region(
            code=f"{county.code[:6]}{t:03d}000",
            name=f"{county.name}{t}镇",
            level=RegionLevel.TOWNSHIP,
            parent=county,
        )
        for county in counties
        for t in range(1, TOWNSHIPS_PER_COUNTY + 1)
    )
    villages = Region.objects.bulk_create(
        Region(
            code=f"{township.code[:9]}{v:03d}",
            name=f"{township.name}{v}村",
            level=RegionLevel.VILLAGE,
            parent=township,
        )
        for township in townships
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1)
    )
    started = time.monotonic()
    workers = []
    for serial in range(size.workers):
        born = datetime.date(1966, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 40))
        village = villages[serial % len(villages)]
        body = f"{village.code[:6]}{born:%Y%m%d}{serial % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        workers.append(
            Worker(
                name=f"求职者{serial}",
                phone=f"13{serial:09d}",
                id_number_encrypted=crypto.encrypt(number),
                id_number_masked=mask(number),
                birth_date=born,
                sex="M" if int(number[16]) % 2 else "F",
                origin_county_code=village.code[:6] + "000000",
                hukou_region=village if serial % 10 else None,
                education=("junior", "senior", "vocational", "primary")[serial % 4],
            )
        )
    Worker.objects.bulk_create(workers, batch_size=5000)
    worker_ids = list(Worker.objects.order_by("pk").values_list("pk", flat=True))
    print(f"  {size.workers:,} workers in {time.monotonic() - started:.0f}s", flush=True)

    employers = Employer.objects.bulk_create(
        Employer(
            name=f"压测用人单位{n}",
            credit_code=credit_code(n),
            industry=Industry.MANUFACTURING,
            size=EmployerSize.MEDIUM,
            address="南宁市",
            contact_name="李经理",
            contact_phone="0771-5551234",
        )
        for n in range(200)
    )
    today = datetime.date.today()
    listings = JobListing.objects.bulk_create(
        JobListing(
            employer=employer,
            title=f"普工{k}",
            category="operative",
            headcount=5 + k,
            salary_min=4000,
            salary_max=6000,
            requirements="身体健康",
            work_content="流水线装配",
            region=counties[0],
            work_address="南宁市",
            valid_from=today - datetime.timedelta(days=400),
            valid_until=today + datetime.timedelta(days=30),
            contact_name="王主管",
            contact_phone="13800000000",
            source="用人单位提供",
            live=True,
        )
        for employer in employers
        for k in range(2)
    )
    campaign = Campaign.objects.create(
        name="压测春风行动",
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today,
    )
    # The same year at both sizes: the full size has ten times the events in the same weeks.
    first_day = datetime.datetime.combine(
        today - datetime.timedelta(days=400),
        datetime.time(9),
        tzinfo=datetime.timezone(datetime.timedelta(hours=8)),
    )

    def event(kind: str, number: int, start: datetime.datetime, days: int) -> Event:
        return Event(
            kind=kind,
            title=f"压测{'招聘会' if kind == EventKind.JOB_FAIR else '培训班'}{number}",
            campaign=campaign,
            venue="南宁国际会展中心",
            address="南宁市青秀区民族大道111号",
            region=counties[number % len(counties)],
            starts_at=start,
            ends_at=start + datetime.timedelta(days=days - 1, hours=8),
            trade="焊工" if kind == EventKind.TRAINING else "",
            live=True,
        )

    fairs = Event.objects.bulk_create(
        event(EventKind.JOB_FAIR, n, first_day + datetime.timedelta(days=n * 365 // size.fairs), 1)
        for n in range(size.fairs)
    )
    classes = Event.objects.bulk_create(
        event(
            EventKind.TRAINING,
            n,
            first_day + datetime.timedelta(days=n * 340 // size.classes),
            CLASS_SESSIONS,
        )
        for n in range(size.classes)
    )
    sessions = Session.objects.bulk_create(
        [
            Session(event=fair, title="全天", starts_at=fair.starts_at, ends_at=fair.ends_at)
            for fair in fairs
        ]
        + [
            Session(
                event=course,
                title=f"第{day + 1}天",
                starts_at=course.starts_at + datetime.timedelta(days=day),
                ends_at=course.starts_at + datetime.timedelta(days=day, hours=3),
            )
            for course in classes
            for day in range(CLASS_SESSIONS)
        ]
    )
    sessions_of: dict[int, list] = {}
    for session in sessions:
        sessions_of.setdefault(session.event_id, []).append(session)
    Booth.objects.bulk_create(
        Booth(event=fair, employer=employers[(n + k) % len(employers)], number=f"A{k:02d}")
        for n, fair in enumerate(fairs)
        for k in range(20)
    )
    EmployerCheckIn.objects.bulk_create(
        EmployerCheckIn(event=fair, employer=employers[(n + k) % len(employers)])
        for n, fair in enumerate(fairs)
        for k in range(15)
    )
    offers = JobListing.fairs.through
    offers.objects.bulk_create(
        offers(joblisting_id=listing.pk, event_id=fair.pk)
        for n, fair in enumerate(fairs)
        for k in range(20)
        for listing in listings[2 * ((n + k) % len(employers)) : 2 * ((n + k) % len(employers)) + 2]
    )

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM events_registration")
        next_id = cursor.fetchone()[0] + 1
    registrations, checkins = [], []
    for fair in fairs:
        session = sessions_of[fair.pk][0]
        for index, worker_id in enumerate(rng.sample(worker_ids, FAIR_REGISTRATIONS)):
            registrations.append((next_id, fair.pk, worker_id, fair.starts_at))
            if index < FAIR_ARRIVALS:
                at = session.starts_at + datetime.timedelta(minutes=rng.randrange(-30, 300))
                checkins.append((next_id, session.pk, at))
            next_id += 1
    for course in classes:
        for worker_id in rng.sample(worker_ids, CLASS_TRAINEES):
            registrations.append((next_id, course.pk, worker_id, course.starts_at))
            for session in sessions_of[course.pk]:
                at = session.starts_at + datetime.timedelta(minutes=rng.choice((-10, -5, 0, 5, 20)))
                checkins.append((next_id, session.pk, at))
            next_id += 1
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(
            "COPY events_registration (id, event_id, worker_id, status, channel, created_at, "
            "confirmed_at, cancel_reason, ticket_version) FROM STDIN"
        ) as copy:
            for pk, event_id, worker_id, start in registrations:
                created = start - datetime.timedelta(days=5)
                copy.write_row(
                    (pk, event_id, worker_id, "confirmed", "self", created, created, "", 1)
                )
        with raw.copy(
            "COPY events_checkin (registration_id, session_id, direction, gate, scanned_at, "
            "received_at) FROM STDIN"
        ) as copy:
            for registration_id, session_id, at in checkins:
                copy.write_row((registration_id, session_id, "in", "东门", at, at))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('events_registration', 'id'), %s)", [next_id]
        )
        cursor.execute(
            "UPDATE events_event SET seats_taken = (SELECT COUNT(*) FROM events_registration r "
            "WHERE r.event_id = events_event.id)"
        )
    print(
        f"  {len(registrations):,} registrations and {len(checkins):,} check-ins in "
        f"{time.monotonic() - started:.0f}s",
        flush=True,
    )
    intentions = []
    for fair in fairs:
        people = Registration.objects.filter(event=fair).values_list("pk", flat=True)[:100]
        present = EmployerCheckIn.objects.filter(event=fair).values_list("employer_id", flat=True)
        present = list(present)
        intentions += [
            Intention(event=fair, registration_id=pk, employer_id=present[index % len(present)])
            for index, pk in enumerate(people)
        ]
    Intention.objects.bulk_create(intentions, batch_size=5000)
    return {
        "workers": size.workers,
        "villages": len(villages),
        "events": len(fairs) + len(classes),
        "registrations": len(registrations),
        "checkins": len(checkins),
        "first_fair": fairs[0].pk,
        "first_class": classes[0].pk,
    }


def tune(database: str) -> None:
    """docs/operations.md's PostgreSQL setting for SSD storage (random_page_cost 1.1 instead of
    the spinning-disk default 4): with it the planner looks a fair's 2,500 people up by index
    instead of reading all 100,000 workers. It applies to the connections opened after it, the
    gunicorn workers'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{database}" SET random_page_cost = 1.1')


def count_summaries() -> float:
    from events.models import Event
    from events.reports.services import refresh_summaries

    started = time.monotonic()
    refresh_summaries(event_ids=Event.objects.values_list("pk", flat=True))
    return time.monotonic() - started


def bureau_cookie() -> tuple[str, object]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    user, _created = get_user_model().objects.get_or_create(username="bench-bureau")
    user.groups.add(Group.objects.get(name="Bureau statistics"))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client.cookies["sessionid"].value, client


# Measuring ---------------------------------------------------------------------------------------


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, cookie: str, timeout: float) -> float:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    started = time.perf_counter()
    with OPENER.open(request, timeout=timeout) as response:
        response.read()
        if response.status != 200 or response.url != url:
            raise SystemExit(f"bench/reports.py: {url} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def count_queries(client, path: str) -> list[tuple[str, float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"bench/reports.py: in-process {path} answered {response.status_code}")
    return [(query["sql"], float(query["time"])) for query in captured.captured_queries]


def measure(base: str, paths: dict[str, str], args, deadline: Deadline) -> dict[str, Result]:
    cookie, client = bureau_cookie()
    results = {}
    for key, path in paths.items():
        url = base + path
        for _ in range(args.warmup):
            fetch(url, cookie, timeout=deadline.left(120))
        latencies = [fetch(url, cookie, timeout=deadline.left(120)) for _ in range(args.requests)]
        results[key] = Result(latencies, count_queries(client, path))
        print(
            f"  {key:10} {results[key].median:8.1f} ms median, {len(results[key].queries)} queries",
            flush=True,
        )
    return results


def add_export_events(full_workers: int) -> dict[int, int]:
    """Events with 10,000 and 100,000 confirmed registrations, for the roster export."""
    from django.db import connection

    from events.models import Event, EventKind, Session
    from trainees.models import Region, RegionLevel

    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    events = {}
    start = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id) FROM trainees_worker")
        first_worker = cursor.fetchone()[0]
    for rows in EXPORT_SIZES:
        event = Event.objects.create(
            kind=EventKind.TRAINING,
            title=f"压测花名册导出{rows}",
            venue="南宁市技工学校",
            address="南宁市",
            region=county,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=8),
            trade="焊工",
            live=True,
        )
        Session.objects.create(event=event, starts_at=event.starts_at, ends_at=event.ends_at)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO events_registration (event_id, worker_id, status, channel, created_at, "
                "confirmed_at, cancel_reason, ticket_version) "
                "SELECT %s, id, 'confirmed', 'self', now(), now(), '', 1 FROM trainees_worker "
                "WHERE id < %s ORDER BY id",
                [event.pk, first_worker + min(rows, full_workers)],
            )
        events[rows] = event.pk
    analyze()
    return events


def export_in_child(env: dict[str, str], event_id: int, deadline: Deadline) -> dict:
    """One roster export in a fresh process: its peak memory is the export's, not this script's."""
    done = subprocess.run(
        [PYTHON, str(Path(__file__)), "--export-child", str(event_id)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=deadline.left(1800),
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit("bench/reports.py: the export process failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries
    that over from the parent through fork and exec, so a child would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("bench/reports.py: no VmHWM in /proc/self/status (Linux only)")


def export_child(event_id: int) -> None:
    """--export-child: the officer's roster XLSX through the worker's code path, then figures."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from events.models import Event, ExportKind
    from events.reports import services

    baseline = peak_mb()
    officer, _created = get_user_model().objects.get_or_create(username="bench-officer")
    officer.groups.add(Group.objects.get(name="Subsidy officers"))
    request = services.export_request(
        kind=ExportKind.ROSTER,
        file_format="xlsx",
        event=Event.objects.get(pk=event_id),
        user=officer,
    )
    job = services.create_export_job(request=request, user=officer)  # run here, not queued
    started = time.perf_counter()
    services.run_export(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    print(
        json.dumps(
            {
                "rows": job.rows_done,
                "seconds": seconds,
                "peak_mb": peak_mb(),
                "baseline_mb": baseline,
                "bytes": job.file.size,
                "full_id_numbers": job.full_id_numbers,
            }
        )
    )


# Main --------------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    env = bench_env(args)
    if args.export_child:
        setup_django(env)
        export_child(args.export_child)
        return 0
    deadline = Deadline(args.budget)
    database = urllib.parse.urlsplit(args.database_url).path.lstrip("/")
    print(f"Database {database}; gunicorn ×2; config.settings.dev with DEBUG=false")
    logdir = Path(tempfile.mkdtemp(prefix="chunfeng-bench-"))
    results, seeded, recount, exports = {}, {}, {}, {}
    django_ready = False
    for size in SIZES:
        print(f"{size.name}:")
        recreate_database(args.database_url, False, deadline)
        run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env, deadline.left(900), "migrate"
        )
        if not django_ready:
            setup_django(env)
            django_ready = True
        from django.db import connections

        connections.close_all()  # the database was recreated under this process
        seeded[size.name] = seed(size)
        tune(database)
        analyze()
        recount[size.name] = count_summaries()
        print(f"  summaries of {seeded[size.name]['events']} events in {recount[size.name]:.1f}s")
        paths = {
            "event": f"/admin/statistics/events/{seeded[size.name]['first_fair']}/",
            "training": f"/admin/statistics/events/{seeded[size.name]['first_class']}/training/",
            "overview": "/admin/statistics/overview/",
        }
        process, base = start_gunicorn(env, 2, logdir / f"gunicorn-{size.name}.log", deadline)
        try:
            results[size.name] = measure(base, paths, args, deadline)
        finally:
            stop(process)
        if size.name == "full":
            for rows, event_id in add_export_events(size.workers).items():
                exports[rows] = export_in_child(env, event_id, deadline)
                print(
                    f"  roster export {rows:,} rows: {exports[rows]['seconds']:.1f}s, "
                    f"peak {exports[rows]['peak_mb']:.0f} MB",
                    flush=True,
                )
    missed = report(results, exports, seeded, recount, args)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seeded": seeded,
                    "summaries_seconds": recount,
                    "pages": {
                        size: {
                            key: {"median_ms": r.median, "p95_ms": r.p95, "queries": len(r.queries)}
                            for key, r in measured.items()
                        }
                        for size, measured in results.items()
                    },
                    "exports": exports,
                },
                indent=2,
            )
        )
    return 1 if missed else 0


def report(results, exports, seeded, recount, args) -> list[str]:
    small, full = results["10%"], results["full"]
    print()
    for name, counts in seeded.items():
        print(
            f"{name}: {counts['workers']:,} workers, {counts['events']} events, "
            f"{counts['registrations']:,} registrations, {counts['checkins']:,} check-ins; "
            f"every summary counted in {recount[name]:.1f}s"
        )
    print(f"{args.requests} sequential requests per page after {args.warmup} warm-up; ms.")
    print(f"Targets: ≤ {MAX_QUERIES} queries per page; full median ≤ {MAX_RATIO}× the 10 % median.")
    header = (
        f"{'page':12}{'queries':>10}{'10% med':>10}{'p95':>8}{'full med':>10}{'p95':>8}{'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    missed = []
    for key in full:
        before, after = small[key], full[key]
        ratio = after.median / before.median
        flags = []
        if max(len(before.queries), len(after.queries)) > MAX_QUERIES:
            flags.append("QUERIES")
        if ratio > MAX_RATIO:
            flags.append("SLOWER")
        missed += [f"{key}: {flag}" for flag in flags]
        print(
            f"{key:12}{len(before.queries):>5}/{len(after.queries):<4}{before.median:>10.1f}"
            f"{before.p95:>8.1f}{after.median:>10.1f}{after.p95:>8.1f}{ratio:>7.2f}×"
            f"  {'ok' if not flags else ' '.join(flags)}"
        )
    if exports:
        small_export, big_export = (exports[rows] for rows in EXPORT_SIZES)
        growth = big_export["peak_mb"] / small_export["peak_mb"]
        print(
            f"\nRoster XLSX with full ID numbers (targets: peak < {MAX_EXPORT_MB} MB, growth < "
            f"{MAX_EXPORT_GROWTH}× from 10,000 to 100,000 rows):"
        )
        for rows in EXPORT_SIZES:
            figures = exports[rows]
            print(
                f"  {rows:>7,} rows: {figures['seconds']:6.1f}s, peak {figures['peak_mb']:5.0f} MB "
                f"(process before the export {figures['baseline_mb']:.0f} MB), "
                f"file {figures['bytes'] / 1e6:.1f} MB"
            )
        print(f"  growth {growth:.2f}×")
        for rows in EXPORT_SIZES:  # the roster that was asked for, or the figures mean nothing
            if exports[rows]["rows"] != rows:
                print(f"  {rows:,}-row export wrote {exports[rows]['rows']:,} rows")
                missed.append(f"export {rows:,}: ROWS")
            if not exports[rows]["full_id_numbers"]:
                missed.append(f"export {rows:,}: MASKED")
        if big_export["peak_mb"] >= MAX_EXPORT_MB:
            missed.append("export: MEMORY")
        if growth >= MAX_EXPORT_GROWTH:
            missed.append("export: GROWTH")
    for key in full:
        if any(flag.startswith(key) for flag in missed):
            print(f"\nSlowest queries of {key} at full size:")
            for sql, seconds in sorted(full[key].queries, key=lambda q: -q[1])[:4]:
                print(f"  {seconds * 1000:7.1f} ms  {sql[:300]}")
    print("\nMissed: " + ", ".join(missed) if missed else "\nAll targets met.")
    return missed


if __name__ == "__main__":
    sys.exit(main())
