"""The one Settings object (pydantic-settings, env prefix ``SREWB_``).

Nothing reads environment variables at import time: callers build ``Settings()`` (or
``Settings(data_dir=...)``) and pass it down.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"


class Settings(BaseSettings):
    """Configuration for the app, the CLI and the tests."""

    model_config = SettingsConfigDict(env_prefix="SREWB_", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "data" / "runtime", description="DuckDB file + artifacts + LanceDB")
    backend: str = Field(default="offline", description="offline | bedrock")

    # Limits (also documented in the README; upload size mirrors .streamlit/config.toml)
    max_upload_mb: int = 200
    max_decompressed_mb: int = 1024
    max_compression_ratio: float = 200.0
    max_archive_entries: int = 2000
    max_archive_depth: int = 2
    max_line_chars: int = 64_000
    max_image_pixels: int = 60_000_000
    analysis_time_budget_s: float = 600.0
    agent_processes: bool = Field(default=True, description="run the log, metrics and vision agents in forked processes "
                                  "when the caller runs one thread (the CLI); the app always uses threads")
    store_busy_timeout_s: float = Field(default=15.0, description="how long to wait for a data directory another process holds")

    # Knowledge base
    kb_embedder: str = Field(default="", description="'' (auto: minilm offline, titan on bedrock) | minilm | minilm-shipped | hashing | titan")
    kb_similar_k: int = 3

    # Bedrock
    bedrock_region: str = "us-east-1"
    bedrock_profile: str | None = None
    bedrock_endpoint_url: str | None = None
    bedrock_model_log: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    bedrock_model_metrics: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    bedrock_model_vision: str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    bedrock_model_supervisor: str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    bedrock_max_steps: int = 6
    bedrock_budget_usd: float = 2.0
    bedrock_timeout_s: float = 60.0
    bedrock_prices: dict[str, tuple[float, float]] | None = Field(
        default=None, description="USD per 1k input/output tokens by model-id substring; overrides the built-in table "
                                  '(JSON, e.g. SREWB_BEDROCK_PRICES=\'{"claude-sonnet-4": [0.003, 0.015]}\')')

    @property
    def db_path(self) -> Path:
        return self.data_dir / "workbench.duckdb"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def kb_uri(self) -> str:
        return str(self.data_dir / "kb")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024
