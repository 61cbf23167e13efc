"""Registration burst: 2,000 signed-in workers press 报名 for a 500-seat class at the same moment.

Runs against PostgreSQL and gunicorn on 127.0.0.1 only:

1. recreates the database in DATABASE_URL (default chunfeng_bench_reg; only a name containing
   "bench" is ever dropped), migrates it, and creates the class, the workers, their accounts and
   a signed-in session for each (session rows written directly, as a sign-in would);
2. starts gunicorn with bench.settings_bench (config.settings.dev, DEBUG off, plus a bare
   INSERT view at /bench/insert/), and has every client GET the register page once, which gives
   it its CSRF cookie and form token the way a browser gets them;
3. releases all client threads at once on a barrier: each POSTs the register endpoint for its
   workers; then the same clients POST the bare view, one INSERT per request, as the floor;
4. prints throughput, p50/p95/p99 latency and errors for both, the confirmed and waitlisted
   counts, and checks the targets: exactly `capacity` confirmed, no errors, and the register
   throughput at least half the bare INSERT's. The exit status is 1 when a target is missed.

SMS go to the outbox and to Redis (CELERY_BROKER_URL, database 12 by default) as in production;
no Celery worker runs, so nothing is sent. Everything is bounded by --budget.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import Deadline, recreate_database, run, start_gunicorn, stop  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/chunfeng_bench_reg"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/12"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL)
    parser.add_argument("--clients", type=int, default=2000, help="workers registering")
    parser.add_argument("--capacity", type=int, default=500, help="seats in the class")
    parser.add_argument(
        "--concurrency", type=int, default=200, help="client threads released at once"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--budget", type=float, default=600, help="seconds for everything")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings_bench",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only-not-secret"),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=args.database_url,
        CELERY_BROKER_URL=args.broker_url,
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    return env


@dataclass
class Client:
    session_key: str
    csrf_cookie: str = ""
    csrf_token: str = ""

    def headers(self) -> dict[str, str]:
        cookies = f"sessionid={self.session_key}"
        if self.csrf_cookie:
            cookies += f"; csrftoken={self.csrf_cookie}"
        return {"Cookie": cookies, "Host": "127.0.0.1"}


@dataclass
class Figures:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "requests": len(self.latencies_ms) + len(self.errors),
            "errors": len(self.errors),
            "statuses": dict(self.statuses),
            "seconds": round(self.seconds, 3),
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1),
            "p99_ms": round(self.percentile(0.99), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else None,
        }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def prepare_data(*, clients: int, capacity: int) -> tuple[int, list[Client]]:
    """The class, and per client an account, a worker and a signed-in session (bulk inserts)."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from events.models import Event, EventKind
    from trainees.models import Region, Worker

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, user_id bigint, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    now = timezone.now()
    start = (now + datetime.timedelta(days=7)).replace(hour=1, minute=0, second=0, microsecond=0)
    event = Event.objects.create(
        kind=EventKind.TRAINING,
        title="2026年春风行动电焊工培训班（报名压力测试）",
        venue="南宁市技工学校",
        address="南宁市兴宁区长堽路1号",
        region=Region.objects.get(code="450102000000"),
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=8),
        capacity=capacity,
        trade="焊工",
        live=True,
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"bench-{i:05d}", password=make_password(None)) for i in range(clients)],
        batch_size=500,
    )
    Worker.objects.bulk_create(
        [
            Worker(name=f"测试工人{i}", phone=f"137{i:08d}", user=user)
            for i, user in enumerate(users)
        ],
        batch_size=500,
    )
    store = SessionStore()
    sessions = [
        Session(
            session_key=get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"),
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                }
            ),
            expire_date=now + datetime.timedelta(days=1),
        )
        for user in users
    ]
    Session.objects.bulk_create(sessions, batch_size=500)
    return event.pk, [Client(session_key=session.session_key) for session in sessions]


def request(port: int, method: str, path: str, client: Client, body: str = "", timeout=30.0):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = client.headers()
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body.encode() if body else None, headers=headers)
        response = connection.getresponse()
        content = response.read()
        return response.status, response.getheader("Location", ""), response.msg, content
    finally:
        connection.close()


def get_csrf(port: int, path: str, client: Client) -> None:
    """What a browser does: load the form, keep the CSRF cookie, post the token from the form."""
    status, _location, headers, content = request(port, "GET", path, client)
    if status != 200:
        raise SystemExit(f"bench/registration_burst.py: GET {path} answered {status}")
    for cookie in headers.get_all("Set-Cookie") or []:
        if cookie.startswith("csrftoken="):
            client.csrf_cookie = cookie.split(";", 1)[0].split("=", 1)[1]
    match = CSRF_FIELD.search(content.decode())
    if not match or not client.csrf_cookie:
        raise SystemExit("bench/registration_burst.py: no CSRF cookie or form token")
    client.csrf_token = match.group(1)


def burst(
    *, port: int, clients: list[Client], path: str, expect, concurrency: int, name: str, timeout
) -> Figures:
    """All threads start on one barrier; each POSTs for its share of the clients in turn."""
    figures = Figures(name)
    lock = threading.Lock()
    shares = [clients[i::concurrency] for i in range(concurrency) if clients[i::concurrency]]
    barrier = threading.Barrier(len(shares) + 1)

    def run_share(share: list[Client]) -> None:
        barrier.wait(timeout=60)
        for client in share:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": client.csrf_token})
            started = time.perf_counter()
            try:
                status, location, _headers, _content = request(
                    port, "POST", path, client, body, timeout=timeout
                )
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    figures.errors.append(f"{type(error).__name__}: {error}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                figures.statuses[status] += 1
                if expect(status, location):
                    figures.latencies_ms.append(elapsed)
                else:
                    figures.errors.append(f"HTTP {status} {location}")

    threads = [threading.Thread(target=run_share, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=timeout * (len(clients) // len(shares) + 1))
    figures.seconds = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):
        figures.errors.append("client threads still running at the deadline")
    return figures


def prime(*, port: int, clients: list[Client], path: str, concurrency: int) -> None:
    shares = [clients[i::concurrency] for i in range(concurrency)]
    threads = [
        threading.Thread(target=lambda s=share: [get_csrf(port, path, c) for c in s])
        for share in shares
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)


def outcome_counts(event_id: int) -> dict[str, int]:
    from django.db import connection

    from events.models import Event, Registration
    from trainees.models import OutboundMessage

    connection.close()  # fresh connection: see what the server committed
    counts = Counter(
        Registration.objects.filter(event_id=event_id).values_list("status", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_insert")
        inserted = cursor.fetchone()[0]
    return {
        "confirmed": counts.get("confirmed", 0),
        "waitlisted": counts.get("waitlisted", 0),
        "seats_taken": Event.objects.get(pk=event_id).seats_taken,
        "outbox_messages": OutboundMessage.objects.count(),
        "bare_rows": inserted,
    }


def flush_broker(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        raise SystemExit(
            f"bench/registration_burst.py: Redis not reachable at {url}: {error}"
        ) from error
    client.flushdb()


def main() -> int:
    args = parse_args()
    if "bench" not in urllib.parse.urlsplit(args.database_url).path:
        raise SystemExit("bench/registration_burst.py: the database name must contain 'bench'")
    deadline = Deadline(args.budget)
    env = bench_env(args)
    flush_broker(args.broker_url)
    recreate_database(args.database_url, keep=False, deadline=deadline)
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    run([python, "manage.py", "migrate", "--noinput"], env, deadline.left(300), "migrate")
    setup_django(env)
    print(f"… {args.clients} workers with sessions, one class of {args.capacity} seats", flush=True)
    event_id, clients = prepare_data(clients=args.clients, capacity=args.capacity)

    log = Path(tempfile.gettempdir()) / "chunfeng-registration-burst-gunicorn.log"
    process, base = start_gunicorn(env, args.workers, log, deadline)
    port = urllib.parse.urlsplit(base).port
    register_path = f"/my/events/{event_id}/register/"
    try:
        print("… every client loads the register page for its CSRF cookie and token", flush=True)
        prime(port=port, clients=clients, path=register_path, concurrency=32)
        timeout = min(60.0, deadline.left(60))
        print(f"… burst: {args.clients} POSTs to {register_path}", flush=True)
        register = burst(
            port=port,
            clients=clients,
            path=register_path,
            expect=lambda status, location: status == 302 and "/my/registrations/" in location,
            concurrency=args.concurrency,
            name="register",
            timeout=timeout,
        )
        print(f"… burst: {args.clients} POSTs to /bench/insert/ (one INSERT each)", flush=True)
        bare = burst(
            port=port,
            clients=clients,
            path="/bench/insert/",
            expect=lambda status, location: status == 204,
            concurrency=args.concurrency,
            name="bare insert",
            timeout=timeout,
        )
    finally:
        stop(process)
        flush_broker(args.broker_url)
    counts = outcome_counts(event_id)

    ratio = register.throughput / bare.throughput if bare.throughput else 0.0
    print()
    print(
        f"{args.clients} clients, {args.capacity} seats, {args.concurrency} client threads, "
        f"gunicorn {args.workers} sync workers, PostgreSQL"
    )
    print(f"{'endpoint':<12} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for figures in (register, bare):
        print(
            f"{figures.name:<12} {figures.throughput:>8.1f} {figures.percentile(0.5):>8.1f} "
            f"{figures.percentile(0.95):>8.1f} {figures.percentile(0.99):>8.1f} "
            f"{len(figures.errors):>7}"
        )
    print(
        f"confirmed {counts['confirmed']}, waitlisted {counts['waitlisted']}, "
        f"seats_taken {counts['seats_taken']}, outbox messages {counts['outbox_messages']}, "
        f"bare rows {counts['bare_rows']}"
    )
    print(f"throughput ratio register / bare insert: {ratio:.2f}")
    for figures in (register, bare):
        for error, count in Counter(figures.errors).most_common(5):
            print(f"  {figures.name} error ×{count}: {error}")

    missed = []
    if counts["confirmed"] != args.capacity or counts["seats_taken"] != args.capacity:
        missed.append(f"exactly {args.capacity} confirmed")
    if counts["confirmed"] + counts["waitlisted"] != args.clients:
        missed.append("every client registered once")
    if register.errors or bare.errors:
        missed.append("no errors")
    if ratio < 0.5:
        missed.append("ratio ≥ 0.5")
    print("targets met" if not missed else f"TARGETS MISSED: {', '.join(missed)}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "register": register.as_dict(),
                    "bare_insert": bare.as_dict(),
                    "counts": counts,
                    "ratio": round(ratio, 3),
                    "missed": missed,
                },
                indent=2,
            )
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
