"""Headless Chromium (Debian's package) driven by Playwright; no browser download.

Playwright's sync API runs an event loop in the thread that starts it. In the test thread that
would make Django hand out per-context database connections (and lose pytest-django's state),
so Playwright lives in a thread of its own and tests send it functions to run: `phone.run(fn)`
calls `fn(page)` there and returns the result.
"""

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WECHAT_ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 10; M2006C3LC) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47"
)


class BrowserThread:
    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self.run(self._start)

    def _start(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )

    def run(self, function: Callable[..., Any], *args) -> Any:
        return self._executor.submit(function, *args).result(timeout=120)

    def new_page(self, *, cookies=(), **context_options):
        """A page in a fresh context, with `cookies` (Playwright's dicts) set before it opens."""

        def open_page():
            context = self._browser.new_context(**context_options)
            if cookies:
                context.add_cookies(list(cookies))
            return context.new_page()

        return self.run(open_page)

    def close(self):
        self.run(lambda: (self._browser.close(), self._playwright.stop()))
        self._executor.shutdown()


class Phone:
    """A page in the browser thread; `run(fn)` calls fn(page) there."""

    def __init__(self, browser: BrowserThread, page):
        self._browser, self.page = browser, page

    def run(self, function: Callable[..., Any]) -> Any:
        return self._browser.run(function, self.page)

    def close(self):
        self._browser.run(self.page.context.close)


PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


def open_page(browser: BrowserThread, *, cookies=(), **context_options) -> Phone:
    """A zh-CN page of its own (context options as Playwright's new_context takes them)."""
    return Phone(
        browser, browser.new_page(cookies=cookies, **{"locale": "zh-CN", **context_options})
    )


def open_phone(browser: BrowserThread, *, cookies=(), **context_options) -> Phone:
    """A 360 x 740 phone (PHONE, which context_options override or add to)."""
    return open_page(browser, cookies=cookies, **{**PHONE, **context_options})


def session_cookie(user, live_server) -> dict:
    """The session cookie of `user` signed in (by the test client, in the test's thread, whose
    database connection that is) for live_server: cookies=[session_cookie(...)] signs a page in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


@pytest.fixture(scope="session")
def browser():
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    thread = BrowserThread()
    yield thread
    thread.close()


@pytest.fixture
def phone(browser):
    """A 360 x 740 phone in WeChat's in-app browser."""
    device = open_phone(browser, user_agent=WECHAT_ANDROID_UA)
    yield device
    device.close()
