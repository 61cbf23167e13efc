import pytest

from tests.support.scenarios import counted_fair as build_counted_fair


@pytest.fixture
def counted_fair(superuser):
    """tests.support.scenarios.counted_fair: figures worked out by hand in its docstring."""
    return build_counted_fair(organiser=superuser)
