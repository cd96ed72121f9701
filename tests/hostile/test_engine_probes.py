"""Fast probe that the log engine's cost stays linear in line length (long_line_200k / one_huge_line_2mb).

Masking used to backtrack quadratically inside one long token; tokens longer than
``MAX_TOKEN_CHARS`` are now masked whole. This probe measures a 20,000-character line in a fraction
of a second so a regression shows up fast.
"""

from __future__ import annotations

import time


from analysis.engines.logs import analyze_log
import hostile_builders as b


def test_log_engine_cost_is_linear_in_line_length():
    lines = b.log_text(extra=["2024-03-01T10:02:30Z ERROR web payload=" + "x" * 20_000]).split("\n")
    t0 = time.process_time()
    analyze_log(lines, artifact_id="art-1", name="long.log")
    assert time.process_time() - t0 < 0.5  # linear: ~0.01 s; quadratic: ~2 s
