"""End to end in real headless Chromium: create an incident, upload a log and a CSV, Analyse, see the report."""

from __future__ import annotations

import pytest

from tests.e2e.harness import CHROMIUM, chromium_page, click_and_wait, streamlit_server, wait_idle
from tests.ui.conftest import make_csv, make_log

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")]


def test_upload_analyse_and_see_a_hypothesis(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (tmp_path / "checkout.log").write_bytes(make_log())
    (tmp_path / "checkout_metrics.csv").write_bytes(make_csv())
    with streamlit_server(data_dir) as url, chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        wait_idle(page)
        assert page.get_by_text("Welcome").is_visible()

        page.get_by_label("Title").fill("Checkout errors after deploy")
        page.get_by_label("Services (comma-separated)").fill("checkout")
        click_and_wait(page, page.get_by_role("button", name="Create incident"))
        assert page.get_by_role("heading", name="Checkout errors after deploy").is_visible()

        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            [str(tmp_path / "checkout.log"), str(tmp_path / "checkout_metrics.csv")])
        page.get_by_text("checkout_metrics.csv").first.wait_for()
        click_and_wait(page, page.get_by_role("button", name="Upload", exact=True))
        page.get_by_text("Added 2 artifact(s)").wait_for()

        click_and_wait(page, page.locator('[data-testid="stExpander"] summary', has_text="checkout.log"))
        page.locator(".srewb-log tr.error").first.wait_for()  # level colouring in the log viewer

        click_and_wait(page, page.get_by_role("button", name="Analyse this incident"))
        click_and_wait(page, page.get_by_role("button", name="Analyse", exact=True), timeout_ms=180_000)
        page.get_by_text("Top hypothesis", exact=True).wait_for()
        main = page.locator('[data-testid="stMain"]')
        heading = main.locator("h4", has_text="1. ")
        heading.first.wait_for(timeout=10_000)
        assert "%" in main.inner_text()  # the hypothesis' confidence
        evidence = main.locator('[data-testid="stExpander"] summary', has_text="checkout.log")
        click_and_wait(page, evidence.first)  # evidence opens the exact lines, highlighted
        page.locator(".srewb-log tr.hit").first.wait_for(timeout=10_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not errors, errors
