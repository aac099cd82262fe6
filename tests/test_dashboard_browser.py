"""The dashboard end to end, in a real (headless) browser, with no network but the loopback.

Needs Debian's chromium (``apt-get install chromium``), Playwright's Python package (its own
browser download is not used) and the ``dashboard`` extra; skipped without them. Select with
``pytest -m browser``. Every request the page makes to a host other than 127.0.0.1/localhost
is aborted and recorded, and must not happen; the server's own CDN fallback points at a
closed local port, so an asset missing from ``solara-assets`` fails loudly too.

Set ``HEGEMON_DASHBOARD_SCREENSHOT=docs/img/dashboard.png`` to save a screenshot of the page
(used in the README).
"""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from hegemon.dashboard import server_command, server_environment
from hegemon.dashboard.model import Charts, DashboardModel

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FETCH_IMAGE = """async (img) => {
    const response = await fetch(img.src);
    const bytes = new Uint8Array(await response.arrayBuffer());
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
}"""
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_TIMEOUT = 90.0  # seconds; the first start imports solara, mesa and altair
UI_TIMEOUT = 60_000  # ms


def missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if shutil.which("chromium") is None:
        return "no chromium on PATH (apt-get install chromium)"
    for module, hint in [
        ("playwright", "pip install playwright"),
        ("solara", "pip install 'hegemon[dashboard]'"),
        ("solara_assets", "pip install 'hegemon[dashboard]'"),
        ("altair", "pip install 'hegemon[dashboard]'"),
    ]:
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed ({hint})"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard's server on a free loopback port, started as ``hegemon dashboard`` does."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    port = free_port()
    env = server_environment("baseline")
    env["SOLARA_ASSETS_CDN"] = "http://127.0.0.1:9/"  # a CDN fallback would fail, not fetch
    env.pop("SOLARA_ASSETS_PROXY", None)
    log_path = tmp_path_factory.mktemp("dashboard") / "server.log"
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            server_command("127.0.0.1", port), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the server exited ({proc.returncode}):\n{log_path.read_text()}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer in time:\n{log_path.read_text()}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def expected_png(chart: str, weeks: int, **sliders: float) -> bytes:
    """What chart ``chart`` of the page's default model (baseline, 200 replicates, seed 0)
    looks like after ``weeks`` steps, drawn here, without a browser. With ``sliders``, the
    sliders are ticked: the others at the baseline's values."""
    from hegemon.dashboard.app import initial_kwargs

    kwargs = initial_kwargs("baseline")
    if sliders:
        kwargs.update(sliders, fix_parameters=True)
    model = DashboardModel(**kwargs)
    for _ in range(weeks):
        model.step()
    return Charts(model).png(chart)


class Session:
    """One browser context (its own cookies, so its own server session) on the dashboard,
    recording every request aborted for leaving the machine and every failed response."""

    def __init__(self, browser: Any, url: str):
        self.aborted: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1450})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(UI_TIMEOUT)
        self.page.on("response", self._response)
        self.page.goto(url)
        self.page.get_by_role("button", name="Step").wait_for()
        self.wait_week(0)
        self.chart("fan0").wait_for()

    def _route(self, route: Any) -> None:
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.aborted.append(route.request.url)
            route.abort()

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def chart(self, name: str) -> Any:
        return self.page.locator(f".hegemon-chart-{name} img")

    def chart_png(self, name: str) -> bytes:
        """The PNG bytes the page shows for chart ``name`` (read back from the img's src)."""
        data = self.chart(name).evaluate(FETCH_IMAGE)
        return base64.b64decode(data)

    def wait_chart_change(self, name: str, old: bytes, timeout: float = 30.0) -> bytes:
        """Chart ``name`` once it differs from ``old`` (images arrive after the status)."""
        deadline = time.monotonic() + timeout
        while True:
            new = self.chart_png(name)
            if new != old:
                return new
            if time.monotonic() > deadline:
                pytest.fail(f"chart {name} did not change")
            time.sleep(0.2)

    def week(self) -> int:
        text = self.page.get_by_text(re.compile(r"^Week \d+ of \d+")).inner_text()
        return int(text.split()[1])

    def wait_week(self, week: int) -> None:
        self.page.get_by_text(re.compile(rf"^Week {week} of \d+")).wait_for()

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            week = self.week()
            self.page.get_by_role("button", name="Step").click()
            self.wait_week(week + 1)

    def set_slider(self, label: str, presses: int) -> str:
        """Move a slider by ``presses`` steps with the keyboard; its new value."""
        slider = self.page.get_by_role("slider", name=label)
        slider.focus()
        key = "ArrowRight" if presses > 0 else "ArrowLeft"
        for _ in range(abs(presses)):
            slider.press(key)
        return slider.get_attribute("aria-valuenow")

    def close(self) -> None:
        self.context.close()


def test_dashboard_offline_slider_step_and_redraw(browser: Any, server: str) -> None:
    s = Session(browser, server)
    try:
        page = s.page
        assert page.locator(".hegemon-chart img").count() == 5
        before = {name: s.chart_png(name) for name in ("fan0", "survival", "regimes")}
        assert all(png.startswith(b"\x89PNG") for png in before.values())
        # Russia's resolve from the baseline's 0.4 up to 0.9, applied on Reset
        assert s.set_slider("Russia's resolve", 10) == "0.9"
        page.get_by_text("Use the sliders below").click()
        assert page.get_by_role("checkbox", name="Use the sliders below").is_checked()
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("actors.Russia.resolve=0.9").wait_for()
        s.wait_week(0)
        s.step(3)
        for name, image in before.items():
            s.wait_chart_change(name, image)
        # and the page shows the bytes its own model's charts give at week 3
        shown = s.chart_png("fan0")
        assert shown == expected_png("fan0", weeks=3, resolve=0.9)
        # play, then pause
        page.get_by_role("button", name="▶").click()
        page.get_by_text(re.compile(r"^Week (1[0-9]|[2-9][0-9]) of")).wait_for()
        page.get_by_role("button", name="❚❚").click()
        page.get_by_role("button", name="▶").wait_for()
        # a step already under way when pause was pressed may still land: wait for it
        paused = s.week()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = s.week()
            if now == paused:
                break
            paused = now
        assert paused >= 10
        time.sleep(1.0)
        assert s.week() == paused  # paused means no further steps
        s.wait_chart_change("fan0", shown)
        shot = os.environ.get("HEGEMON_DASHBOARD_SCREENSHOT")
        if shot:  # the README's picture: the baseline against no peacekeepers, two years on
            page.get_by_text("Use the sliders below").click()
            page.locator(".v-select").filter(has_text="Compare with").click()
            page.get_by_role("option", name="no_peacekeepers", exact=True).click()
            page.get_by_role("button", name="Reset").click()
            page.get_by_text("compared with no_peacekeepers").wait_for()
            s.step(104)
            page.mouse.move(1, 1)
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.wait_for_timeout(1000)
            Path(shot).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=shot, full_page=True)
        assert s.aborted == [], f"requests left the machine: {s.aborted}"
        assert s.failed == [], f"requests failed: {s.failed}"
    finally:
        s.close()


def test_each_browser_session_has_its_own_model(browser: Any, server: str) -> None:
    a = Session(browser, server)
    b = Session(browser, server)
    try:
        a_before = a.chart_png("fan0")
        b_before = b.chart_png("fan0")
        assert a_before == b_before == expected_png("fan0", weeks=0)
        a.step(3)
        a.wait_chart_change("fan0", a_before)
        assert a.week() == 3 and b.week() == 0
        time.sleep(1.0)  # give a stray update to b the time to arrive
        assert b.chart_png("fan0") == b_before
        # A model shared between sessions would now be at week 4 in b's page.
        b.step(1)
        assert b.week() == 1 and a.week() == 3
        a.step(1)
        assert a.week() == 4 and b.week() == 1
        b.wait_chart_change("fan0", b_before)
        assert b.chart_png("fan0") == expected_png("fan0", weeks=1)
        assert a.chart_png("fan0") == expected_png("fan0", weeks=4)
        assert a.aborted == b.aborted == []
        assert a.failed == b.failed == []
    finally:
        a.close()
        b.close()
