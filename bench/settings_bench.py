"""Benchmark-only settings: config.settings.dev plus a URL module with a bare INSERT view.

Production code has no benchmark hook; bench/registration_burst.py points gunicorn here.
"""

from config.settings.dev import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"
