"""Start ``streamlit run app.py`` on a free port and drive it with Playwright in Debian chromium.

Waiting rules (Streamlit 1.67): a run is over when ``stApp`` reports ``notRunning`` + ``CONNECTED``
and no element is stale; after a click, first wait for the run it caused to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]');
}"""
RUNNING_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'running';
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(data_dir: Path, *, timeout_s: float = 60.0) -> Iterator[str]:
    """Run the app with ``SREWB_DATA_DIR=data_dir``; yields its base URL; stops it by PID."""
    port = free_port()
    env = {**os.environ, "SREWB_DATA_DIR": str(data_dir), "SREWB_BACKEND": "offline"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"), "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    log = open(data_dir / "streamlit.log", "wb")
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(data_dir / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app finished its current run and nothing is stale."""
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)
    page.wait_for_timeout(150)
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


def click_and_wait(page, locator, timeout_ms: int = 120_000) -> None:
    """Click, wait for the run the click caused to start (if it is not already over), then for idle."""
    locator.click()
    try:
        page.wait_for_function(RUNNING_JS, timeout=3_000)
    except Exception:  # the run may have started and finished already
        pass
    wait_idle(page, timeout_ms)


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    """A Playwright page in Debian chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()
