"""The screenshot preview can show what the vision agent read, drawn over a copy of the image."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analysis.models import IncidentInput
from analysis.settings import SAMPLES_DIR, Settings
from analysis.store import Store
from analysis.workflow import upload


def _script(artifact_id: str) -> None:
    from components.resources import get_store
    from components.screenshot_view import screenshot_reading

    screenshot_reading(get_store().get_artifact(artifact_id), key="shot")


def test_toggle_draws_panels_and_lists_them(data_dir):
    store = Store(data_dir)
    inc = store.create_incident(IncidentInput(title="x"))
    png = SAMPLES_DIR / "checkout-deploy-regression" / "screenshots" / "grafana_checkout.png"
    art = upload(store, inc.id, [(png.name, png.read_bytes())], Settings(data_dir=data_dir)).added[0]
    before = store.read_artifact(art)
    at = AppTest.from_function(_script, args=(art.id,), default_timeout=120).run()
    assert not at.exception and not at.dataframe  # off by default: OCR only on request
    at.toggle(key="shot.vision").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    titles = at.dataframe[0].value["panel"].tolist()
    assert any("5xx" in t for t in titles), titles
    assert any("incident visible" in c.value for c in at.caption)
    assert store.read_artifact(art) == before  # the overlay is drawn on a copy
