"""Many requests at once: the race tests' one way of starting them together, and the signed-in
accounts that make self-registrations."""

import itertools
import threading

from django.contrib.auth import get_user_model
from django.db import connections

from tests.factories import make_worker

_usernames = itertools.count(1)


def accounts(count: int, **worker) -> list:
    """Accounts with a worker profile each (made with `worker`'s fields), as sign-in leaves them."""
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"account-{next(_usernames)}") for _ in range(count)]
    )
    for user in users:
        make_worker(user=user, **worker)
    return users


def run_together(tasks, *, threads: int = 40) -> tuple[list, list[BaseException]]:
    """Run the callables on `threads` threads that start at the same moment."""
    shares = [tasks[i::threads] for i in range(threads) if tasks[i::threads]]
    barrier = threading.Barrier(len(shares))
    results, errors, lock = [], [], threading.Lock()

    def worker(share):
        try:
            barrier.wait(timeout=30)
            for task in share:
                try:
                    outcome = task()
                except BaseException as error:  # noqa: BLE001 - reported by the assertions
                    with lock:
                        errors.append(error)
                else:
                    with lock:
                        results.append(outcome)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"
    return results, errors
