"""An artifact together with its bytes, with cached decoded views (text lines, RGB image)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.ingest.archive import gunzip, is_gzip
from analysis.ingest.images import open_image
from analysis.ingest.prepare import limits_from
from analysis.ingest.text import decode_text, split_lines
from analysis.models import Artifact
from analysis.settings import Settings


@dataclass
class LoadedArtifact:
    """Artifact metadata plus its stored bytes; decoded views are computed once."""

    artifact: Artifact
    data: bytes
    settings: Settings
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.artifact.id

    @property
    def name(self) -> str:
        return self.artifact.name

    def payload(self) -> bytes:
        """The bytes after transparent gzip expansion."""
        if "payload" not in self._cache:
            self._cache["payload"] = gunzip(self.data, self.name, limits_from(self.settings)) if is_gzip(self.data) else self.data
        return self._cache["payload"]

    def lines(self) -> list[str]:
        """Decoded text lines (line 1 is index 0)."""
        if "lines" not in self._cache:
            self._cache["lines"] = split_lines(decode_text(self.payload(), self.name).text)
        return self._cache["lines"]

    def metric_table(self) -> Any:
        """The parsed metric table (:func:`analysis.engines.metrics.load_metrics`); raises its one-sentence
        error for a CSV that does not parse. Parsed once per artifact: the metrics agent, the screenshot
        reader's reference date and the Bedrock tools all read it (a forked agent inherits it)."""
        if "metric_table" not in self._cache:
            from analysis.engines.metrics import load_metrics

            self._cache["metric_table"] = load_metrics(self.payload(), self.name)
        return self._cache["metric_table"]

    def image(self):
        """RGB PIL image (validated against the pixel limit)."""
        if "image" not in self._cache:
            self._cache["image"] = open_image(self.data, self.name, self.settings.max_image_pixels)[0]
        return self._cache["image"]
