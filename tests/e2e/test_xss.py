"""Nothing displayed is executed, in real headless Chromium: script and markup payloads everywhere.

An incident whose title, description and services carry payloads gets a log (lines full of
``<script>``, ``<img onerror>``, Markdown links, Streamlit colour directives), a metric CSV with
HTML/Markdown headers, both under file names that are markup themselves; it is analysed, and
every page, tab and expander is opened. On each view: no dialog opened, no script set the
``window.__xss`` flag (in the page or any frame), no element carrying the payloads' marker class
exists, and no payload became a link, bold text or coloured text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.harness import CHROMIUM, chromium_page, click_and_wait, streamlit_server, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")]

IMG = '<img class="xss-marker" src=x onerror="window.__xss=1;alert(1)">'
PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    IMG,
    '<b class="xss-marker">HTMLBOLD</b>',
    "**MDBOLD**",
    "[MDLINK](javascript:window.__xss=1)",
    "[MDLINK](https://example.com/beacon)",
    ":red[MDRED]",
    '<svg class="xss-marker" onload="window.__xss=1"></svg>',
    '<a class="xss-marker" href="javascript:window.__xss=1">HTMLLINK</a>',
    "<iframe class=\"xss-marker\" srcdoc=\"<script>parent.__xss=1</script>\"></iframe>",
]
TITLE = f"XSS {IMG} **MDBOLD** [MDLINK](https://example.com) :red[MDRED]"
SERVICES = "checkout, **MDBOLD**, <b class=xss-marker>HTMLBOLD</b>"
LOG_NAME = 'app <b class="xss-marker">FNAME<b> **MDBOLD**.log'  # no '/' in a file name
CSV_NAME = "metrics <img class=xss-marker src=x onerror=window.__xss=1>.csv"

PROBLEMS_JS = r"""() => {
  const problems = [];
  const docs = [document];
  document.querySelectorAll('iframe').forEach(f => { try { if (f.contentDocument) docs.push(f.contentDocument); } catch (e) {} });
  for (const d of docs) {
    const w = d.defaultView;
    if (w && w.__xss) problems.push('a payload script ran');
    d.querySelectorAll('.xss-marker').forEach(e => problems.push('element injected: ' + e.outerHTML.slice(0, 100)));
    d.querySelectorAll('strong, b, em').forEach(e => {
      const t = e.textContent.trim();
      if (t === 'MDBOLD' || t === 'HTMLBOLD') problems.push('bold injected: ' + e.outerHTML.slice(0, 100));
    });
    d.querySelectorAll('a').forEach(e => {
      if (/MDLINK|HTMLLINK/.test(e.textContent)) problems.push('link injected: ' + e.outerHTML.slice(0, 120));
      if (/^\s*javascript:/i.test(e.getAttribute('href') || '')) problems.push('javascript: link: ' + e.outerHTML.slice(0, 120));
    });
    const text = d.body ? d.body.textContent : '';
    if (/MDRED/.test(text) && !/:red\[MDRED\]/.test(text)) problems.push('a :red[] directive was rendered');
  }
  return problems;
}"""


def _log() -> bytes:
    t0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    lines = []
    for i in range(120):
        ts = (t0 + timedelta(seconds=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if 60 <= i < 90:
            lines.append(f"{ts} ERROR checkout db connection timeout {PAYLOADS[i % len(PAYLOADS)]}")
        else:
            lines.append(f"{ts} INFO checkout request ok {PAYLOADS[i % len(PAYLOADS)]}")
    return ("\n".join(lines) + "\n").encode()


def _csv() -> bytes:
    t0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    rows = ['timestamp,"<img class=xss-marker src=x onerror=window.__xss=1>","**MDBOLD** <b class=xss-marker>COL</b>"']
    for i in range(60):
        rows.append(f"{(t0 + timedelta(seconds=10 * i)):%Y-%m-%dT%H:%M:%SZ},{40 + (45 if i > 40 else i % 4)},"
                    f"{120 + (900 if i > 40 else i % 5)}")
    return ("\n".join(rows) + "\n").encode()


def _check(page, where: str, dialogs: list[str], seen: dict[str, list[str]]) -> None:
    wait_idle(page)
    problems = list(page.evaluate(PROBLEMS_JS))
    for frame in page.frames:  # frames of other origins are checked from the inside
        try:
            if frame.evaluate("() => !!window.__xss"):
                problems.append(f"a payload script ran in frame {frame.url[:80]}")
        except Exception:  # a frame that went away between listing and evaluating
            pass
    problems += [f"dialog opened: {m}" for m in dialogs]
    assert page.locator('[data-testid="stException"]').count() == 0, f"{where}: the page raised an exception"
    if problems:
        seen[where] = sorted(set(problems))


def _open_everything(page, where: str, dialogs, seen) -> None:
    """Click every tab and open every expander on the current page, checking after each."""
    i = 0
    while i < min(page.get_by_role("tab").count(), 20):  # nested tabs appear as outer ones are opened
        tab = page.get_by_role("tab").nth(i)
        i += 1
        if not tab.is_visible():
            continue
        click_and_wait(page, tab)
        _check(page, f"{where} tab {i}", dialogs, seen)
        summaries = page.locator('[data-testid="stExpander"] summary')
        for j in range(min(summaries.count(), 6)):
            if summaries.nth(j).is_visible():
                click_and_wait(page, summaries.nth(j))
        _check(page, f"{where} tab {i} expanders", dialogs, seen)


@pytest.fixture(scope="module")
def problems_seen(tmp_path_factory) -> dict[str, list[str]]:
    """Drive the whole app once with the payloads; returns ``{view: [problems]}``."""
    tmp_path = tmp_path_factory.mktemp("xss")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log_path, csv_path = tmp_path / LOG_NAME, tmp_path / CSV_NAME
    log_path.write_bytes(_log())
    csv_path.write_bytes(_csv())
    dialogs: list[str] = []
    seen: dict[str, list[str]] = {}
    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        wait_idle(page)
        page.get_by_label("Title").fill(TITLE)
        page.get_by_label("Description").fill("\n".join(PAYLOADS))
        page.get_by_label("Services (comma-separated)").fill(SERVICES)
        click_and_wait(page, page.get_by_role("button", name="Create incident"))
        _check(page, "incident page (new)", dialogs, seen)

        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files([str(log_path), str(csv_path)])
        page.get_by_text(re.compile(r"\.csv$")).first.wait_for()
        _check(page, "uploader with file names", dialogs, seen)
        click_and_wait(page, page.get_by_role("button", name="Upload", exact=True))
        page.get_by_text("Added 2 artifact(s)").wait_for()
        _check(page, "incident page (uploaded)", dialogs, seen)
        _open_everything(page, "incident page", dialogs, seen)

        click_and_wait(page, page.get_by_role("tab").first)
        click_and_wait(page, page.get_by_role("button", name="Analyse this incident"))
        click_and_wait(page, page.get_by_role("button", name="Analyse", exact=True), timeout_ms=180_000)
        _check(page, "report page", dialogs, seen)
        _open_everything(page, "report page", dialogs, seen)

        click_and_wait(page, page.locator('[data-testid="stSidebarNav"] a', has_text="Incidents"))
        page.get_by_text("incidents, newest first").wait_for()
        _check(page, "incident list", dialogs, seen)
    return seen


def test_no_payload_script_runs_on_any_page(problems_seen):
    executed = {k: [p for p in v if "script ran" in p or "dialog" in p] for k, v in problems_seen.items()}
    assert not any(executed.values()), f"a payload executed: {executed}"


def test_no_payload_becomes_markup_on_any_page(problems_seen):
    assert not problems_seen, "markup was injected:\n" + "\n".join(f"{k}: {v}" for k, v in problems_seen.items())
