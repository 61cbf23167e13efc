import time


def wait_until(predicate, *, seconds: float) -> bool:
    """Poll predicate until it holds or the time is up; for work done by a Celery worker."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()
