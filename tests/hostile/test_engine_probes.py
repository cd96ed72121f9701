"""Fast probes for catalogue cases that are too slow to run while an owner's bug stands.

``long_line_200k`` and ``one_huge_line_2mb`` are catalogued but not run (they would take minutes to
hours); this probe measures the same cost on a 20,000-character line in a fraction of a second, so it
fails loudly (strict xfail -> XPASS) the moment the log engine becomes linear and the two catalogue
cases should be switched back on.
"""

from __future__ import annotations

import time

import pytest

from analysis.engines.logs import analyze_log
from hostile_catalogue import LONG_LINE_BUG
import hostile_builders as b


@pytest.mark.xfail(strict=True, reason=LONG_LINE_BUG)
def test_log_engine_cost_is_linear_in_line_length():
    lines = b.log_text(extra=["2024-03-01T10:02:30Z ERROR web payload=" + "x" * 20_000]).split("\n")
    t0 = time.process_time()
    analyze_log(lines, artifact_id="art-1", name="long.log")
    assert time.process_time() - t0 < 0.5  # linear: ~0.01 s; quadratic: ~2 s
