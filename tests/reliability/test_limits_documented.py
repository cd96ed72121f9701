"""Every limit in Settings is documented in docs/LIMITS.md, and the browser upload limit matches it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from analysis.settings import Settings

REPO = Path(__file__).resolve().parents[2]
LIMIT_FIELDS = [name for name in Settings.model_fields
                if name.startswith("max_") or name in ("analysis_time_budget_s", "bedrock_max_steps",
                                                       "bedrock_budget_usd", "bedrock_timeout_s")]


def test_every_limit_setting_is_documented_with_its_environment_variable():
    doc = (REPO / "docs" / "LIMITS.md").read_text(encoding="utf-8")
    assert LIMIT_FIELDS, "no limit settings found"
    missing = [f for f in LIMIT_FIELDS if f"`{f}`" not in doc]
    assert not missing, f"limits missing from docs/LIMITS.md: {missing}"
    env_missing = [f for f in LIMIT_FIELDS if f.startswith(("max_", "analysis_")) and f"SREWB_{f.upper()}" not in doc]
    assert not env_missing, f"environment variables missing from docs/LIMITS.md: {env_missing}"


def test_streamlit_upload_limit_mirrors_the_setting():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == Settings.model_fields["max_upload_mb"].default
