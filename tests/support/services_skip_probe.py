"""Run only by tests/test_project.py in a subprocess: a services test that always skips.

The file name does not match test_*.py, so the normal run never collects it.
"""

import pytest


@pytest.mark.services
def test_needs_a_missing_service():
    pytest.skip("probe: the service is not reachable")


def test_plain_skip():
    pytest.skip("probe: not applicable here")


def test_passes():
    assert True
