"""Many requests at once: the race tests' one way of starting them together."""

import threading

from django.db import connections


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
