"""Assemble bench/RESULTS.md from the per-area result files in bench/results/ (run after the benches)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["analyze_timing", "logs", "metrics", "vision", "reasoning", "kb", "bedrock"]


def main() -> None:
    parts = ["# Benchmark results", "",
             "Each section is written by its bench script (`bench/*.py`, reading ../shared when present) "
             "and gathered here by `python bench/make_results.py`. Figures come from one run on the "
             "2-core development machine, each beside its baseline measured in the same run.", ""]
    # *_notes.md are hand-written parts a bench script appends to its own results file
    files = {p.stem: p for p in (HERE / "results").glob("*.md") if not p.stem.endswith("_notes")}
    for name in ORDER + sorted(set(files) - set(ORDER)):
        if name in files:
            text = files[name].read_text().strip()
            if not text.startswith("# "):
                text = f"# {name}\n\n" + text
            # each file's headings sit one level below this document's title
            parts += ["\n".join("#" + ln if ln.startswith("#") else ln for ln in text.splitlines()), ""]
    (HERE / "RESULTS.md").write_text("\n".join(parts))


if __name__ == "__main__":
    main()
