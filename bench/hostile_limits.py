"""Bombs and floods: the CLI's streaming limits beside a naive read of the same bytes.

For each hostile input from the catalogue (tests/hostile) this runs ``python -m analysis analyze``
in a child process under ``RLIMIT_AS`` = 2 GB and records its exit code, CPU seconds and peak
resident memory; the baseline is a child that reads the same bytes the naive way (``gzip.decompress``,
``ZipFile.read``, ``zipfile.ZipFile`` on a flood, Pillow with its bomb guard off). Writes
``bench/results/reliability.md``. Needs nothing from ../shared. Run: ``python bench/hostile_limits.py``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "hostile"))

import hostile_builders as b  # noqa: E402

AS_LIMIT = 2 << 30

NAIVE = {
    "gzip": "import gzip,sys; d=gzip.decompress(open(sys.argv[1],'rb').read()); print(len(d))",
    "zip": "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); print(sum(len(z.read(i)) for i in z.infolist()))",
    "flood": "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); print(len(z.infolist()))",
    "png": ("import sys; from PIL import Image; Image.MAX_IMAGE_PIXELS=None; im=Image.open(sys.argv[1]); "
            "im.load(); print(im.size)"),
}
CASES = [
    ("gzip bomb (300 MB of zeros, 0.3 MB file)", "app.log.gz", lambda: b.gzip_bomb(300), "gzip"),
    ("zip bomb (one 600 MB entry)", "bomb.zip", lambda: b.zip_bomb_entry(600), "zip"),
    ("zip entry flood (70,000 entries)", "flood.zip", lambda: b.zip_flood_raw(70_000), "flood"),
    ("PNG pixel bomb (30,000 x 30,000 declared)", "bomb.png", lambda: b.png_declaring(30_000, 30_000, 30_000), "png"),
]


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def run(argv: list[str], cwd: Path) -> tuple[int, float, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SREWB_BACKEND": "offline"}
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=_limit)
    _pid, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for label, name, build, naive in CASES:
            path = root / name
            path.write_bytes(build())
            code, cpu, rss = run([sys.executable, "-m", "analysis", "analyze", str(path), "--db", str(root / "data")],
                                 root)
            ncode, ncpu, nrss = run([sys.executable, "-c", NAIVE[naive], str(path)], root)
            rows.append(f"| {label} | {path.stat().st_size / 2**20:.2f} MB | exit {code}, {cpu:.1f} s CPU, "
                        f"{rss:.0f} MB peak | exit {ncode}{' (MemoryError)' if ncode == 1 else ''}, {ncpu:.1f} s CPU, "
                        f"{nrss:.0f} MB peak |")
            path.unlink()
    text = "\n".join([
        "## Reliability: hostile inputs under limits",
        "",
        "`python bench/hostile_limits.py`: each input refused by `python -m analysis analyze --db` (exit 2, one "
        "sentence, nothing stored) beside a naive read of the same bytes, both in a child under a 2 GB "
        "address-space limit. The catalogue itself (`tests/hostile`, >200 cases through the CLI) is a test, "
        "not a bench.",
        "",
        "| input | file size | workbench CLI | naive read (baseline) |",
        "|---|---|---|---|",
        *rows,
        "",
    ])
    out = REPO / "bench" / "results" / "reliability.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
