"""The catalogue of odd and hostile inputs: every case names its bytes, its verdict and its reason.

A case builds its input file(s) in an empty folder and returns the CLI arguments to pass to
``python -m analysis analyze``. ``verdict`` is ``accepted`` (exit 0, the artifacts stored with their
original bytes, analysed without an engine crash) or ``refused`` (exit 2, one ``error: ...`` line
containing ``reason``, nothing stored). For accepted cases ``reason`` must appear in a stored
artifact's detected format or notes (``""`` = no particular note expected). ``kinds`` lists the
artifact kinds that must be stored. ``env`` tightens limits for the case (``SREWB_*`` settings).
``sample`` cases are also run as real subprocesses under a 2 GB address-space limit.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import hostile_builders as b

Builder = Callable[[Path], list[str]]

ACCEPTED = "accepted"
REFUSED = "refused"
#: Accepted families always run with ``--db`` (where names, archives and metadata meet the store);
#: other accepted cases run with ``--db`` only when SREWB_HOSTILE_STORE_ALL=1 (each stored run costs
#: ~10 short-lived DuckDB connections, which would put the default suite over its time budget).
STORED_FAMILIES = {"names", "zip", "paths", "incident", "markup", "limits"}


@dataclass(frozen=True)
class Case:
    name: str
    family: str
    build: Builder
    verdict: str
    reason: str = ""
    kinds: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    sample: bool = False
    xfail: str = ""  # "owner: <area>: <one line>" when a file outside ingest must change
    hangs: bool = False  # with ``xfail``: the owner's bug makes the case run for minutes, so it is not run
    in_process: bool = True  # False: too big for the test process, run only as a limited subprocess
    stored: bool = False  # accepted case also stored with --db by default (refused cases always are)

    def runs_stored(self, store_all: bool = False) -> bool:
        """Whether the CLI run uses ``--db``: refused, storage-relevant families, samples, or everything."""
        return (store_all or self.verdict == REFUSED or self.stored or self.sample
                or self.family in STORED_FAMILIES)


def one(filename: str, data: Callable[[], bytes]) -> Builder:
    """A single file called ``filename`` (may contain '/' for sub-folders) passed as one path."""
    def build(root: Path) -> list[str]:
        p = root / filename
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data())
        return [str(p)]
    return build


def folder(files: dict[str, Callable[[], bytes]]) -> Builder:
    """A folder (``bundle/``) holding the files; the folder is passed as the one path."""
    def build(root: Path) -> list[str]:
        top = root / "bundle"
        top.mkdir()
        for rel, data in files.items():
            p = top / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data())
        return [str(top)]
    return build


def text(s: str, enc: str = "utf-8") -> Callable[[], bytes]:
    return lambda: s.encode(enc)


LOG = b.log_bytes
CSV = b.csv_bytes
PNG = lambda: b.image_bytes("PNG")  # noqa: E731
INCIDENT = text('{"title": "Checkout errors", "services": ["checkout"], "severity": "SEV2"}')

XSS = ["<script>window.__pwned=1;alert(1)</script>", "<img src=x onerror=\"window.__pwned=1\">",
       "[click me](javascript:alert(1)) ![x](http://127.0.0.1:9/x.png)", "<iframe src=javascript:alert(1)>",
       "{{7*7}} ${7*7} <svg onload=alert(1)>", "=HYPERLINK(\"http://evil\",\"x\") +cmd|' /C calc'!A0 @SUM(1) -2+3"]



def _cases() -> list[Case]:
    c: list[Case] = []
    add = c.append
    A, R = ACCEPTED, REFUSED

    # ------------------------------------------------------------------ text encodings and line endings
    add(Case("utf8_plain", "text", one("app.log", LOG), A, "log", ("log",)))
    add(Case("utf8_bom", "text", one("app.log", lambda: b"\xef\xbb\xbf" + LOG()), A, "utf-8 (BOM)", ("log",)))
    add(Case("utf16le_bom", "text", one("app.log", lambda: b"\xff\xfe" + b.log_text().encode("utf-16-le")), A,
             "utf-16-le", ("log",), stored=True))
    add(Case("utf16be_bom", "text", one("app.log", lambda: b"\xfe\xff" + b.log_text().encode("utf-16-be")), A,
             "utf-16-be", ("log",)))
    add(Case("utf16le_no_bom", "text", one("app.log", lambda: b.log_text().encode("utf-16-le")), A, "utf-16-le",
             ("log",)))
    add(Case("utf16be_no_bom", "text", one("app.log", lambda: b.log_text().encode("utf-16-be")), A, "utf-16-be",
             ("log",)))
    add(Case("utf32le_bom", "text", one("app.log", lambda: b"\xff\xfe\x00\x00" + b.log_text().encode("utf-32-le")),
             A, "utf-32", ("log",)))
    add(Case("latin1", "text", one("app.log", lambda: b.log_text(extra=["2024-03-01T10:02:30Z WARN caf\xe9 "
                                                                         "d\xe9j\xe0 vu \xfc\xf1\xee"] * 30)
                                    .encode("latin-1")), A, "Latin-1", ("log",), stored=True))
    add(Case("cp1252_smart_quotes", "text", one("app.log", lambda: b.log_text(extra=[
        "2024-03-01T10:02:30Z WARN \u201cquoted\u201d \u2013 dash \u20ac5"] * 40).encode("cp1252")), A, "", ("log",)))
    add(Case("mixed_utf8_latin1", "text", one("app.log", lambda: LOG() + "2024-03-01T10:09:00Z WARN caf\xe9\n"
                                              .encode("latin-1") + "2024-03-01T10:09:01Z WARN café ok\n".encode()),
             A, "invalid UTF-8", ("log",)))
    add(Case("invalid_surrogate_utf8", "text", one("app.log", lambda: LOG() + b"2024-03-01T10:09:00Z WARN \xed\xa0\x80"
                                                   b" half surrogate\n"), A, "invalid UTF-8", ("log",)))
    add(Case("crlf", "text", one("app.log", lambda: b.log_bytes(newline="\r\n")), A, "60 lines", ("log",)))
    add(Case("cr_only", "text", one("app.log", lambda: b.log_bytes(newline="\r")), A, "60 lines", ("log",)))
    add(Case("no_final_newline", "text", one("app.log", lambda: b.log_bytes(final=False)), A, "60 lines", ("log",)))
    add(Case("mixed_line_endings", "text", one("app.log", lambda: "\r\n".join(b.log_lines(30)).encode() + b"\n"
                                               + "\r".join(b.log_lines(30)).encode()), A, "", ("log",)))
    add(Case("nul_padded_head", "text", one("app.log", lambda: b"\x00" * 65536 + LOG()), A, "NUL", ("log",), stored=True))
    add(Case("nul_padded_tail", "text", one("app.log", lambda: LOG() + b"\x00" * 4096), A, "NUL", ("log",)))
    add(Case("nul_padded_middle", "text", one("app.log", lambda: LOG() + b"\x00" * 20000 + LOG()), A, "NUL", ("log",)))
    add(Case("long_line_200k", "text", one("app.log", lambda: b.log_bytes(extra=[
        "2024-03-01T10:02:30Z ERROR web payload=" + "x" * 200_000])), A, "longer than", ("log",)))
    add(Case("one_huge_line_2mb", "text", one("app.log", lambda: b"2024-03-01T10:00:00Z ERROR " + b"A" * (2 << 20)),
             A, "longer than", ("log",)))
    add(Case("no_timestamps", "text", one("app.log", lambda: "\n".join(
        f"worker {i % 4} {'ERROR connection refused' if i % 10 == 0 else 'INFO processed batch'} id={i}"
        for i in range(80)).encode()), A, "80 lines", ("log",)))
    add(Case("single_line", "text", one("app.log", text("2024-03-01T10:00:00Z ERROR db down\n")), A, "1 lines",
             ("log",)))
    add(Case("json_lines", "text", one("app.jsonl", lambda: "\n".join(
        '{"ts": "%s", "level": "%s", "msg": "req <b>%d</b>", "svc": "api"}' % (
            line[:20], "error" if "ERROR" in line else "info", i) for i, line in enumerate(b.log_lines())).encode()),
             A, "", ("log",)))
    add(Case("java_stacktrace", "text", one("app.log", lambda: b.log_bytes(extra=[
        "2024-03-01T10:02:30Z ERROR web Unhandled exception", "java.lang.NullPointerException: null",
        "\tat com.shop.Cart.total(Cart.java:42)", "\tat com.shop.Api.handle(Api.java:7)", "Caused by: x"])), A, "",
             ("log",)))
    add(Case("ansi_colours", "text", one("app.log", lambda: "\n".join(
        f"\x1b[31m{ln}\x1b[0m" for ln in b.log_lines()).encode()), A, "", ("log",)))
    add(Case("tabs_formfeeds_vt", "text", one("app.log", lambda: b.log_bytes(extra=[
        "2024-03-01T10:02:30Z WARN\tcol\tcol\x0cpage\x0bvt"])), A, "", ("log",)))
    add(Case("syslog", "text", one("syslog", lambda: "\n".join(
        f"Mar  1 10:{i // 60:02d}:{i % 60:02d} host-1 sshd[{1000 + i}]: "
        f"{'error: maximum authentication attempts' if i % 7 == 0 else 'Accepted publickey for deploy'}"
        for i in range(60)).encode()), A, "", ("log",)))
    add(Case("nginx_access", "text", one("access.log", lambda: "\n".join(
        f'10.0.0.{i % 9} - - [01/Mar/2024:10:{i // 60:02d}:{i % 60:02d} +0000] "GET /api/x?q=<script> HTTP/1.1" '
        f'{500 if i > 40 else 200} 512 "-" "curl/8"' for i in range(60)).encode()), A, "", ("log",)))
    add(Case("blank_lines_between", "text", one("app.log", lambda: "\n\n\n".join(b.log_lines()).encode()), A, "",
             ("log",)))
    add(Case("bom_in_middle", "text", one("app.log", lambda: LOG() + b"\xef\xbb\xbf" + LOG()), A, "", ("log",)))
    add(Case("upper_ext", "text", one("APP.LOG", LOG), A, "", ("log",)))
    add(Case("out_ext", "text", one("service.out", LOG), A, "", ("log",)))
    add(Case("no_ext", "text", one("messages", LOG), A, "", ("log",)))
    add(Case("many_lines_30k", "text", one("big.log", lambda: b.log_bytes(30_000)), A, "30000 lines", ("log",),
             sample=True, in_process=False))
    add(Case("control_heavy_but_text", "text", one("app.log", lambda: "\n".join(
        f"{ln} \x1b[1m\x1b[0m" for ln in b.log_lines(200)).encode()), A, "", ("log",)))

    add(Case("rotated_name_dot1", "text", one("app.log.1", LOG), A, "log", ("log",)))
    add(Case("rotated_name_dot2_gz", "gzip", one("app.log.2.gz", lambda: b.gz(LOG())), A, "gzip", ("log",)))
    add(Case("half_written_last_line", "text", one("app.log", lambda: LOG() + b"2024-03-01T10:09:00Z ERROR caf\xc3"),
             A, "invalid UTF-8", ("log",)))
    add(Case("phone_size_screenshot", "image", one("IMG_2041.JPG", lambda: b.image_bytes("JPEG", size=(2400, 1080))),
             A, "2400x1080", ("screenshot",)))

    # ------------------------------------------------------------------ markup and formulas as data
    add(Case("log_html_script", "markup", one("app.log", lambda: b.log_bytes(extra=b.stamped(XSS))), A, "", ("log",)))
    add(Case("log_markdown", "markup", one("app.log", lambda: b.log_bytes(extra=b.stamped([
        "# heading **bold** _it_ `code` | a | b |", "```\nfence", "> quote <!-- comment -->", "\\\\ \\` \\*"]))), A,
             "", ("log",)))
    add(Case("log_bidi_zero_width", "markup", one("app.log", lambda: b.log_bytes(extra=b.stamped([
        "user \u202egnp.exe\u202c logged in", "zero\u200bwidth\u200djoiner\ufeffbom", "emoji 🔥💥 中文 العربية"]))),
             A, "", ("log",)))
    add(Case("log_formula_cells", "markup", one("app.log", lambda: b.log_bytes(extra=b.stamped([
        "=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3+cmd", "@SUM(1+1)*cmd"]))), A, "", ("log",)))
    add(Case("json_log_with_html", "markup", one("app.jsonl", lambda: "\n".join(
        '{"ts":"2024-03-01T10:00:%02dZ","level":"error","msg":"%s"}' % (i, XSS[i % 4].replace('"', '\\"'))
        for i in range(40)).encode()), A, "", ("log",)))
    add(Case("svg_with_script_as_text", "markup", one("dash.svg", text(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>')), R,
             "SVG"))
    add(Case("html_page_as_log", "markup", one("page.html", text(
        "<html><body><script>alert(1)</script><h1>500 Internal Server Error</h1></body></html>\n")), A, "",
             ("log",)))

    # ------------------------------------------------------------------ gzip
    add(Case("gzip_log", "gzip", one("app.log.gz", lambda: b.gz(LOG())), A, "gzip", ("log",), stored=True))
    add(Case("gzip_multi_member", "gzip", one("app.log.gz", lambda: b.gz(LOG()) + b.gz(LOG())), A, "120 lines",
             ("log",)))
    add(Case("gzip_trailing_nuls", "gzip", one("app.log.gz", lambda: b.gz(LOG()) + b"\x00" * 512), A, "gzip",
             ("log",)))
    add(Case("gzip_utf16", "gzip", one("app.log.gz", lambda: b.gz(b"\xff\xfe" + b.log_text().encode("utf-16-le"))),
             A, "utf-16", ("log",)))
    add(Case("gzip_no_ext", "gzip", one("app.log", lambda: b.gz(LOG())), A, "gzip", ("log",)))
    add(Case("gz_ext_plain_text", "gzip", one("app.log.gz", LOG), A, "", ("log",)))
    add(Case("gzip_csv", "gzip", one("metrics.csv.gz", lambda: b.gz(CSV())), A, "gzip", ("metrics",)))
    add(Case("gzip_level0_stored", "gzip", one("app.log.gz", lambda: b.gz(LOG(), level=0)), A, "gzip", ("log",)))
    add(Case("gzip_truncated", "gzip", one("app.log.gz", lambda: b.gz(b.log_bytes(400))[:-200]), R, "truncated"))
    add(Case("gzip_corrupt_body", "gzip", one("app.log.gz", lambda: b.gz(LOG())[:12] + b"\xff" * 64), R,
             "not a valid gzip"))
    add(Case("gzip_bad_crc", "gzip", one("app.log.gz", lambda: b.gz(LOG())[:-8] + b"\x00" * 8), R, "gzip"))
    add(Case("gzip_header_only", "gzip", one("app.log.gz", lambda: b.gz(LOG())[:10]), R, "gzip"))
    add(Case("gzip_bomb_ratio", "gzip", one("app.log.gz", lambda: b.gzip_bomb(300)), R, "expands to more than",
             sample=True))
    add(Case("gzip_bomb_absolute", "gzip", one("app.log.gz", lambda: b.gz(b.log_bytes(60_000), level=1)), R,
             "expands to more than", env={"SREWB_MAX_DECOMPRESSED_MB": "2"}))
    add(Case("gzip_of_binary", "gzip", one("app.log.gz", lambda: b.gz(b.elf_like())), R, "binary"))
    add(Case("gzip_of_empty", "gzip", one("app.log.gz", lambda: b.gz(b"")), R, "empty"))
    add(Case("gzip_of_gzip_bomb", "gzip", one("app.log.gz", lambda: b.gz(b.gzip_bomb(300))), R, "",
             sample=True))

    # ------------------------------------------------------------------ zip bundles
    add(Case("zip_folder_bundle", "zip", one("incident.zip", lambda: b.zip_of({
        "bundle/logs/app.log": LOG(), "bundle/metrics/m.csv": CSV(), "bundle/screenshots/p.png": PNG()})), A, "",
             ("log", "metrics", "screenshot")))
    add(Case("zip_macos_junk", "zip", one("incident.zip", lambda: b.zip_of({
        "logs/app.log": LOG(), "__MACOSX/logs/._app.log": b"\x00\x05\x16\x07junk", "logs/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "Thumbs.db": b"\xd0\xcf\x11\xe0"})), A, "", ("log",)))
    add(Case("zip_nested_depth2", "zip", one("outer.zip", lambda: b.nested_zip(2)), A, "", ("log",)))
    add(Case("zip_unicode_names", "zip", one("bundle.zip", lambda: b.zip_of({
        "logs/журнал-日志 ✓.log": LOG(), "metrics/métriques.csv": CSV()})), A, "", ("log", "metrics")))
    add(Case("zip_dir_entries", "zip", one("bundle.zip", lambda: b.zip_of([
        ("logs/", b""), ("logs/empty-dir/", b""), ("logs/app.log", LOG())])), A, "", ("log",)))
    add(Case("zip_stored", "zip", one("bundle.zip", lambda: b.zip_of({"app.log": LOG()}, method=zipfile.ZIP_STORED)),
             A, "", ("log",)))
    add(Case("zip_bzip2_lzma", "zip", one("bundle.zip", lambda: _zip_mixed_methods()), A, "", ("log",)))
    add(Case("zip_with_incident_json", "zip", one("bundle.zip", lambda: b.zip_of({
        "incident.json": INCIDENT(), "logs/app.log": LOG()})), A, "", ("log",)))
    add(Case("zip_one_bad_member", "zip", one("bundle.zip", lambda: b.zip_of({
        "logs/app.log": LOG(), "logs/empty.log": b"", "metrics/bin.csv": b.elf_like()})), A, "", ("log",)))
    add(Case("zip_with_gz_member", "zip", one("bundle.zip", lambda: b.zip_of({"logs/app.log.gz": b.gz(LOG())})), A,
             "gzip", ("log",)))
    add(Case("zip_backslash_paths", "zip", one("bundle.zip", lambda: b.zip_of({"logs\\win\\app.log": LOG()})), A, "",
             ("log",)))
    add(Case("zip_markup_member_name", "zip", one("bundle.zip", lambda: b.zip_of({
        "logs/<img src=x onerror=alert(1)>.log": LOG()})), A, "", ("log",)))
    add(Case("zip_without_zip_ext", "zip", one("bundle.dat", lambda: b.zip_of({"logs/app.log": LOG()})), A, "",
             ("log",)))
    add(Case("zip_var_log", "zip", one("varlog.zip", lambda: b.zip_of({
        "var/log/syslog": LOG(), "var/log/auth.log": LOG(), "var/log/wtmp": b.pseudo_random(3000),
        "var/log/journal/abc/system.journal": b"LPKSHHRH" + b.pseudo_random(3000), "var/log/btmp": b"",
        "var/log/nginx/access.log.1": LOG(), "var/log/nginx/error.log.2.gz": b.gz(LOG())})), A, "gzip", ("log",)))
    add(Case("zip_dotdot", "zip", one("evil.zip", lambda: b.zip_of({"logs/ok.log": LOG(), "../../evil.log": LOG()})), R,
             "'..' path"))
    add(Case("zip_dotdot_inner", "zip", one("evil.zip", lambda: b.zip_of({"logs/../../../tmp/evil.log": LOG()})), R,
             "'..' path"))
    add(Case("zip_backslash_dotdot", "zip", one("evil.zip", lambda: b.zip_of({"..\\..\\evil.log": LOG()})), R,
             "'..' path"))
    add(Case("zip_absolute", "zip", one("evil.zip", lambda: b.zip_of({"/etc/cron.d/evil": LOG()})), R,
             "absolute path"))
    add(Case("zip_drive_letter", "zip", one("evil.zip", lambda: b.zip_of({"C:\\Windows\\evil.log": LOG()})), R,
             "absolute path"))
    add(Case("zip_symlink_entry", "zip", one("evil.zip", b.zip_symlink), R, "symbolic link"))
    add(Case("zip_encrypted", "zip", one("secret.zip", b.zip_encrypted), R, "encryption"))
    add(Case("zip_entry_flood", "zip", one("flood.zip", lambda: b.zip_of({f"logs/{i}.log": b"x\n" for i in range(2100)})),
             R, "entries"))
    add(Case("zip_entry_flood_small_limit", "zip", one("flood.zip", lambda: b.zip_of(
        {f"logs/{i}.log": LOG() for i in range(12)})), R, "entries", env={"SREWB_MAX_ARCHIVE_ENTRIES": "10"}))
    add(Case("zip_bomb_entry", "zip", one("bomb.zip", lambda: b.zip_bomb_entry(200)), R, "zip bomb", sample=True))
    add(Case("zip_lying_size", "zip", one("liar.zip", b.zip_lying_size), R, "liar.log"))
    add(Case("zip_total_budget", "zip", one("big.zip", lambda: b.zip_of(
        {f"logs/{i}.log": b.log_bytes(6000) for i in range(8)})), R, "", env={"SREWB_MAX_DECOMPRESSED_MB": "2"}))
    add(Case("zip_nested_too_deep", "zip", one("deep.zip", lambda: b.nested_zip(4)), R, "deeper than"))
    add(Case("zip_nested_bomb", "zip", one("nested.zip", lambda: b.zip_of({"inner.zip": b.zip_bomb_entry(200)})), R,
             "zip bomb"))
    add(Case("zip_nested_dotdot", "zip", one("nested.zip", lambda: b.zip_of({"inner.zip": b.zip_of({
        "../../../evil.log": LOG()})})), R, "'..' path"))
    add(Case("zip_only_dirs", "zip", one("empty.zip", lambda: b.zip_of([("logs/", b""), ("metrics/", b"")])), R,
             "holds no files"))
    add(Case("zip_only_junk", "zip", one("junk.zip", lambda: b.zip_of({"__MACOSX/._a": b"x", ".DS_Store": b"y"})), R,
             "holds no files"))
    add(Case("zip_empty_archive", "zip", one("empty.zip", lambda: b"PK\x05\x06" + b"\x00" * 18), R, "holds no files"))
    add(Case("zip_truncated", "zip", one("cut.zip", lambda: b.zip_of({"logs/app.log": b.log_bytes(500)})[:-300]), R,
             "zip"))
    add(Case("zip_all_members_bad", "zip", one("bad.zip", lambda: b.zip_of({"logs/a.log": b"", "logs/b.log":
                                                                           b.elf_like()})), R, ""))
    add(Case("zip_unknown_method", "zip", one("ppmd.zip", b.zip_unknown_method), R, "cannot be read"))
    add(Case("zip_gz_bomb_member", "zip", one("bundle.zip", lambda: b.zip_of({"logs/app.log.gz": b.gzip_bomb(300)},
                                                                             method=zipfile.ZIP_STORED)), R,
             "expands to more than"))

    # ------------------------------------------------------------------ metric CSVs (accepted)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    add(Case("csv_basic", "csv", one("metrics.csv", CSV), A, "csv", ("metrics",), stored=True))
    add(Case("csv_semicolon_decimal_comma", "csv", one("metrics.csv", lambda: b.csv_bytes(delim=";", decimal=",")), A,
             "", ("metrics",), stored=True))
    add(Case("csv_tab_tsv", "csv", one("metrics.tsv", lambda: b.csv_bytes(delim="\t")), A, "", ("metrics",)))
    add(Case("csv_pipe", "csv", one("metrics.csv", lambda: b.csv_bytes(delim="|")), A, "", ("metrics",)))
    add(Case("csv_no_header", "csv", one("metrics.csv", lambda: b.csv_bytes(header=None)), A, "", ("metrics",)))
    add(Case("csv_crlf", "csv", one("metrics.csv", lambda: b.csv_bytes(newline="\r\n")), A, "", ("metrics",)))
    add(Case("csv_utf8_bom", "csv", one("metrics.csv", lambda: b"\xef\xbb\xbf" + CSV()), A, "", ("metrics",)))
    add(Case("csv_utf16_bom_tab", "csv", one("metrics.csv", lambda: b"\xff\xfe" + b.csv_text(delim="\t")
                                             .encode("utf-16-le")), A, "", ("metrics",)))
    add(Case("csv_latin1_header", "csv", one("metrics.csv", lambda: b.csv_text(
        header="timestamp{d}temp_\xb0C{d}p99_\xb5s").encode("latin-1")), A, "", ("metrics",)))
    add(Case("csv_ragged_rows", "csv", one("metrics.csv", lambda: (b.csv_text() + "2024-03-01T11:31:00Z,40.0\n"
                                                                   "2024-03-01T11:32:00Z,41.0,130.0,extra\n").encode()),
             A, "", ("metrics",)))
    add(Case("csv_quoted_newlines", "csv", one("metrics.csv", lambda: ("timestamp,note,cpu_pct\n" + "".join(
        f'{iso(t)},"line one\nline two, with comma",{cpu:.1f}\n' for t, cpu, _ in b.metric_rows())).encode()), A,
             "", ("metrics",)))
    add(Case("csv_duplicate_times", "csv", one("metrics.csv", lambda: b.csv_bytes(
        rows=[r for r in b.metric_rows() for _ in (0, 1)])), A, "", ("metrics",)))
    add(Case("csv_descending_times", "csv", one("metrics.csv", lambda: b.csv_bytes(rows=b.metric_rows()[::-1])), A, "",
             ("metrics",)))
    add(Case("csv_mixed_offsets", "csv", one("metrics.csv", lambda: b.csv_bytes(
        time_fmt=lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ") if t.minute % 2 else
        (t.replace(tzinfo=None) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00"))),
             A, "", ("metrics",)))
    add(Case("csv_nan_inf_div0", "csv", one("metrics.csv", lambda: b.csv_with_cells(
        ["NaN", "inf", "-inf", "", "#DIV/0!", "#N/A", "null", "-"])), A, "", ("metrics",)))
    add(Case("csv_units_in_cells", "csv", one("metrics.csv", lambda: ("timestamp,cpu,latency,mem\n" + "".join(
        f"{iso(t)},{cpu:.0f}%,{lat:.0f}ms,{1.5 + i / 100:.2f}GiB\n" for i, (t, cpu, lat) in
        enumerate(b.metric_rows()))).encode()), A, "", ("metrics",)))
    add(Case("csv_epoch_s", "csv", one("metrics.csv", lambda: b.csv_bytes(time_fmt=lambda t: str(int(t.timestamp())))),
             A, "", ("metrics",)))
    add(Case("csv_epoch_ms", "csv", one("metrics.csv", lambda: b.csv_bytes(
        time_fmt=lambda t: str(int(t.timestamp() * 1000)))), A, "", ("metrics",)))
    add(Case("csv_epoch_ns", "csv", one("metrics.csv", lambda: b.csv_bytes(
        time_fmt=lambda t: str(int(t.timestamp()) * 1_000_000_000))), A, "", ("metrics",)))
    add(Case("csv_very_wide", "csv", one("metrics.csv", lambda: b.wide_csv(250)), A, "", ("metrics",)))
    add(Case("csv_long_format", "csv", one("metrics.csv", b.long_csv), A, "", ("metrics",)))
    add(Case("csv_formula_cells", "csv", one("metrics.csv", lambda: ("timestamp,host,cpu_pct\n" + "".join(
        f"{iso(t)},{['=cmd|calc!A0', '+SUM(A1)', '-2+3', '@x'][i % 4]},{cpu:.1f}\n"
        for i, (t, cpu, _) in enumerate(b.metric_rows()))).encode()), A, "", ("metrics",)))
    add(Case("csv_html_headers", "csv", one("metrics.csv", lambda: b.csv_text(
        header='timestamp{d}"<script>window.__pwned=1</script>"{d}"<img src=x onerror=alert(1)>"').encode()), A, "",
             ("metrics",), stored=True))
    add(Case("csv_markdown_headers", "csv", one("metrics.csv", lambda: b.csv_text(
        header="timestamp{d}**cpu** [x](javascript:alert(1)){d}`p99` | ms").encode()), A, "", ("metrics",)))
    add(Case("csv_trailing_empty_columns", "csv", one("metrics.csv", lambda: "\n".join(
        ln + ",,," for ln in b.csv_text().splitlines()).encode()), A, "", ("metrics",)))
    add(Case("csv_grafana_preamble", "csv", one("metrics.csv", lambda: ("# Grafana export\n# panel: p99\n\n"
                                                                         + b.csv_text()).encode()), A, "",
             ("metrics",)))
    add(Case("csv_in_metrics_folder_txt", "csv", folder({"metrics/export.txt": CSV}), A, "", ("metrics",)))

    add(Case("csv_excel_de", "csv", one("export.csv", lambda: b"\xef\xbb\xbf" + b.csv_bytes(
        delim=";", decimal=",", newline="\r\n", header="Zeit{d}CPU %{d}Latenz ms",
        time_fmt=lambda t: t.strftime("%d.%m.%Y %H:%M:%S"))), A, "2 series", ("metrics",)))
    add(Case("csv_short_headers", "csv", one("m.csv", lambda: b.csv_bytes(header="time{d}cpu{d}lat")), A, "2 series",
             ("metrics",)))
    add(Case("csv_us_dates", "csv", one("m.csv", lambda: b.csv_bytes(
        time_fmt=lambda t: t.strftime("%m/%d/%Y %I:%M %p"))), A, "2 series", ("metrics",)))

    # ------------------------------------------------------------------ metric CSVs (refused)
    add(Case("csv_no_time_column", "csv", one("metrics.csv", text("host,cpu\n" + "".join(
        f"h{i},{i}\n" for i in range(30)))), R, "time column"))
    add(Case("csv_no_numeric_column", "csv", one("metrics.csv", text("timestamp,host\n" + "".join(
        f"2024-03-01T10:{i:02d}:00Z,h{i}\n" for i in range(30)))), R, "numeric"))
    add(Case("csv_header_only", "csv", one("metrics.csv", text("timestamp,cpu,p99\n")), R, "metrics.csv"))
    add(Case("csv_single_column", "csv", one("metrics.csv", text("cpu\n" + "".join(f"{i}\n" for i in range(30)))), R,
             "metrics.csv"))
    add(Case("csv_binary", "csv", one("metrics.csv", b.elf_like), R, "binary"))
    add(Case("csv_empty", "csv", one("metrics.csv", text("")), R, "empty"))
    add(Case("csv_whitespace_only", "csv", one("metrics.csv", text(" \n\n\t\r\n")), R, "empty"))

    # ------------------------------------------------------------------ images
    add(Case("png_rgb", "image", one("panel.png", PNG), A, "png", ("screenshot",)))
    add(Case("png_rgba_alpha", "image", one("panel.png", lambda: b.image_bytes("PNG", "RGBA")), A, "transparency",
             ("screenshot",), stored=True))
    add(Case("png_16bit_grey", "image", one("panel.png", lambda: b.image_bytes("PNG", "I;16")), A, "8-bit",
             ("screenshot",)))
    add(Case("png_palette", "image", one("panel.png", lambda: b.image_bytes("PNG", "P")), A, "png", ("screenshot",)))
    add(Case("png_palette_transparency", "image", one("panel.png", lambda: b.image_bytes("PNG", "P", transparency=0)),
             A, "transparency", ("screenshot",)))
    add(Case("png_1bit", "image", one("panel.png", lambda: b.image_bytes("PNG", "1")), A, "png", ("screenshot",)))
    add(Case("png_grey_la", "image", one("panel.png", lambda: b.image_bytes("PNG", "LA")), A, "transparency",
             ("screenshot",)))
    add(Case("png_tiny_1x1", "image", one("dot.png", lambda: b.image_bytes("PNG", size=(1, 1))), R, "only 1x1"))
    add(Case("png_interlaced", "image", one("panel.png", lambda: b.image_bytes("PNG", interlace=1)), A, "png",
             ("screenshot",)))
    add(Case("png_text_chunk_script", "image", one("panel.png", lambda: b.png_with_text_chunk(XSS[0])), A, "png",
             ("screenshot",)))
    add(Case("jpeg_rgb", "image", one("panel.jpg", lambda: b.image_bytes("JPEG")), A, "jpeg", ("screenshot",)))
    add(Case("jpeg_cmyk", "image", one("panel.jpg", lambda: b.image_bytes("JPEG", "CMYK")), A, "CMYK",
             ("screenshot",), stored=True))
    add(Case("jpeg_progressive", "image", one("panel.jpeg", lambda: b.image_bytes("JPEG", progressive=True)), A,
             "jpeg", ("screenshot",)))
    add(Case("jpeg_greyscale", "image", one("panel.jpg", lambda: b.image_bytes("JPEG", "L")), A, "jpeg",
             ("screenshot",)))
    add(Case("gif_animated", "image", one("panel.gif", lambda: b.animated_gif(3)), A, "first frame", ("screenshot",), stored=True))
    add(Case("tiff_multipage", "image", one("panel.tiff", lambda: b.multipage_tiff(3)), A, "first frame",
             ("screenshot",)))
    add(Case("tiff_16bit", "image", one("panel.tif", lambda: b.image_bytes("TIFF", "I;16")), A, "8-bit",
             ("screenshot",)))
    add(Case("webp", "image", one("panel.webp", lambda: b.image_bytes("WEBP")), A, "webp", ("screenshot",)))
    add(Case("bmp", "image", one("panel.bmp", lambda: b.image_bytes("BMP")), A, "bmp", ("screenshot",)))
    add(Case("png_named_jpg", "image", one("panel.jpg", PNG), A, "png", ("screenshot",)))
    add(Case("png_named_log", "image", one("panel.log", PNG), A, "png", ("screenshot",)))
    add(Case("png_pixel_bomb", "image", one("bomb.png", lambda: b.png_declaring(100_000, 100_000)), R, "pixels",
             sample=True))
    add(Case("png_over_pixel_limit", "image", one("big.png", lambda: b.image_bytes("PNG", size=(1200, 900))), R,
             "pixels", env={"SREWB_MAX_IMAGE_PIXELS": "1000000"}))
    add(Case("gif_pixel_bomb", "image", one("bomb.gif", lambda: b.gif_declaring(65535, 65535)), R, "pixels"))
    add(Case("tiff_pixel_bomb", "image", one("bomb.tif", lambda: b.tiff_declaring(200_000, 200_000)), R, "pixels"))
    add(Case("png_truncated", "image", one("cut.png", lambda: PNG()[:400]), R, "not a readable image"))
    add(Case("png_signature_only", "image", one("sig.png", lambda: b"\x89PNG\r\n\x1a\n"), R, "not a readable image"))
    add(Case("jpeg_truncated", "image", one("cut.jpg", lambda: b.image_bytes("JPEG")[:300]), R,
             "not a readable image"))
    add(Case("text_named_png", "image", one("notes.png", LOG), R, "not a readable image"))
    add(Case("pdf_named_png", "image", one("report.png", lambda: b"%PDF-1.7\n" + b.pseudo_random(4000)), R,
             "not a readable image"))
    add(Case("heic_unknown_image", "image", one("photo.heic", lambda: b"\x00\x00\x00\x18ftypheic" +
                                                b.pseudo_random(4000)), R, "HEIC"))

    # ------------------------------------------------------------------ binary or empty posing as text
    add(Case("empty_log", "binary", one("app.log", text("")), R, "empty"))
    add(Case("whitespace_log", "binary", one("app.log", text("   \n\n\t  \r\n")), R, "empty"))
    add(Case("nuls_only", "binary", one("app.log", lambda: b"\x00" * 10000), R, "empty"))
    add(Case("elf_as_log", "binary", one("app.log", b.elf_like), R, "binary"))
    add(Case("random_as_log", "binary", one("app.log", lambda: b.pseudo_random(20000)), R, "binary"))
    add(Case("sqlite_as_log", "binary", one("app.log", b.sqlite_like), R, "binary"))
    add(Case("pdf_as_log", "binary", one("report.log", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" +
                                         b.pseudo_random(20000)), R, "PDF"))
    add(Case("bom_then_random", "binary", one("app.log", lambda: b"\xff\xfe" + b.pseudo_random(20000)), R, "binary"))
    add(Case("tar_of_logs", "binary", one("logs.tar", lambda: b.tar_of({"var/log/app.log": LOG()})), R, "tar archive"))
    add(Case("tar_gz_of_logs", "gzip", one("logs.tar.gz", lambda: b.gz(b.tar_of({"var/log/app.log": LOG()}))), R,
             "tar archive inside the gzip"))
    add(Case("bz2_log", "binary", one("app.log.bz2", lambda: b.bz2_of(LOG())), R, "bzip2"))
    add(Case("xz_log", "binary", one("app.log.xz", lambda: b.xz_of(LOG())), R, "xz"))
    add(Case("seven_zip", "binary", one("logs.7z", lambda: b"7z\xbc\xaf\x27\x1c" + b.pseudo_random(300)), R,
             "7-Zip"))
    add(Case("xlsx_as_metrics", "csv", one("metrics.xlsx", b.xlsx_like), R, "Office document"))
    add(Case("xls_ole_as_csv", "csv", one("metrics.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" +
                                          b.pseudo_random(3000)), R, "Office document"))
    add(Case("zip_flood_70k_entries", "zip", one("flood.zip", lambda: b.zip_flood_raw(70_000)), R, "entries",
             sample=True))
    add(Case("jar_like_zip_of_class", "binary", one("app.log", lambda: b.zip_of({"A.class": b"\xca\xfe\xba\xbe" +
                                                                                 b.pseudo_random(500)})), R, ""))
    add(Case("over_upload_limit", "limits", one("big.log", lambda: b.log_bytes(25_000)), R, "upload limit",
             env={"SREWB_MAX_UPLOAD_MB": "1"}))
    add(Case("sparse_2_5_gb_path", "limits", _sparse("huge.log", 5 << 29), R, "upload limit", sample=True,
             in_process=False))
    add(Case("just_under_upload_limit", "limits", one("ok.log", lambda: b.log_bytes(9_000)), A, "",
             ("log",), env={"SREWB_MAX_UPLOAD_MB": "1"}))

    # ------------------------------------------------------------------ odd file names
    add(Case("name_unicode", "names", one("日志 ünïcödé ✓.log", LOG), A, "", ("log",)))
    add(Case("name_spaces", "names", one("my app   log (1).log", LOG), A, "", ("log",)))
    add(Case("name_shell_meta", "names", one("$(touch pwned);`touch pwned2`|&>x<'\".log", LOG), A, "", ("log",)))
    add(Case("name_leading_dash", "names", one("-rf --db=x.log", LOG), A, "", ("log",)))
    add(Case("name_255_bytes", "names", one("n" * 251 + ".log", LOG), A, "", ("log",)))
    add(Case("name_255_bytes_utf8", "names", one("é" * 125 + ".log", LOG), A, "", ("log",)))
    add(Case("name_markup", "names", one("<img src=x onerror=alert(1)>.log", LOG), A, "", ("log",)))
    add(Case("name_newline", "names", one("two\nlines.log", LOG), A, "", ("log",)))
    add(Case("name_bidi", "names", one("report\u202egol.exe", LOG), A, "", ("log",)))
    add(Case("name_hidden_direct", "names", one(".hidden.log", LOG), A, "", ("log",)))
    add(Case("name_dots", "names", one("..log", LOG), A, "", ("log",)))
    add(Case("name_percent_format", "names", one("%s%n%x{0}{}.log", LOG), A, "", ("log",)))
    add(Case("name_backslashes", "names", one("C:\\logs\\app.log", LOG), A, "", ("log",)))

    # ------------------------------------------------------------------ paths given to the CLI
    add(Case("path_fifo", "paths", _fifo, R, "not a regular file"))
    add(Case("path_dev_null", "paths", lambda root: ["/dev/null"], R, "not a regular file"))
    add(Case("path_symlink_to_dev_zero", "paths", _symlink_to("/dev/zero"), R, "not a regular file"))
    add(Case("path_symlink_loop", "paths", _symlink_loop, R, "symlink loop"))
    add(Case("path_dangling_symlink", "paths", _dangling, R, "does not exist"))
    add(Case("path_missing", "paths", lambda root: [str(root / "nope.log")], R, "does not exist"))
    add(Case("path_empty_folder", "paths", _empty_folder, R, "No files"))
    add(Case("path_folder_with_fifo", "paths", _folder_with_fifo, R, "not a regular file"))
    add(Case("path_folder_bundle", "paths", folder({"logs/app.log": LOG, "metrics/m.csv": CSV,
                                                    "incident.json": INCIDENT, "truth.json": text("{}")}), A, "",
             ("log", "metrics")))
    add(Case("path_folder_symlink_loop_inside", "paths", _folder_with_dir_loop, A, "", ("log",)))

    # ------------------------------------------------------------------ incident.json
    add(Case("incident_valid", "incident", _with_incident(INCIDENT), A, "", ("log",)))
    add(Case("incident_utf16", "incident", _with_incident(lambda: '{"title": "UTF-16 incident"}'.encode("utf-16")), A,
             "", ("log",)))
    add(Case("incident_html_title", "incident", _with_incident(text(
        '{"title": "<script>window.__pwned=1</script>", "description": "[x](javascript:alert(1))"}')), A, "",
             ("log",)))
    add(Case("incident_not_json", "incident", _with_incident(text("{title: oops")), R, "not valid JSON"))
    add(Case("incident_array", "incident", _with_incident(text('[{"title": "x"}]')), R, "JSON object"))
    add(Case("incident_empty_title", "incident", _with_incident(text('{"title": ""}')), R, "field 'title'"))
    add(Case("incident_missing_title", "incident", _with_incident(text('{"severity": "SEV1"}')), R, "field 'title'"))
    add(Case("incident_bad_severity", "incident", _with_incident(text('{"title": "x", "severity": "SEV9"}')), R,
             "field 'severity'"))
    add(Case("incident_title_too_long", "incident", _with_incident(text('{"title": "%s"}' % ("x" * 400))), R,
             "field 'title'"))
    add(Case("incident_services_number", "incident", _with_incident(text('{"title": "x", "services": 5}')), R,
             "field 'services'"))
    add(Case("incident_binary", "incident", _with_incident(b.elf_like), R, "incident.json"))
    add(Case("incident_empty", "incident", _with_incident(text("")), R, "incident.json"))
    add(Case("incident_in_folder_bad", "incident", folder({"logs/app.log": LOG,
                                                           "incident.json": text('{"title": 3.5e999}')}), R,
             "incident.json"))
    add(Case("incident_deep_nesting", "incident", _with_incident(text('{"title": "x", "d": ' + "[" * 100_000
                                                                      + "]" * 100_000 + "}")), R, "incident.json"))
    return c


def _zip_mixed_methods() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("logs/a.log", LOG(), compress_type=zipfile.ZIP_BZIP2)
        zf.writestr("logs/b.log", LOG(), compress_type=zipfile.ZIP_LZMA)
    return buf.getvalue()


def _sparse(filename: str, size: int) -> Builder:
    """A sparse file of ``size`` bytes (instant to create, reads as zeros after a log header)."""
    def build(root: Path) -> list[str]:
        p = root / filename
        with open(p, "wb") as fh:
            fh.write(LOG())
            fh.truncate(size)
        return [str(p)]
    return build


def _fifo(root: Path) -> list[str]:
    p = root / "pipe.log"
    os.mkfifo(p)
    return [str(p)]


def _symlink_to(target: str) -> Builder:
    def build(root: Path) -> list[str]:
        p = root / "link.log"
        p.symlink_to(target)
        return [str(p)]
    return build


def _symlink_loop(root: Path) -> list[str]:
    a, c = root / "a.log", root / "b.log"
    a.symlink_to(c)
    c.symlink_to(a)
    return [str(a)]


def _dangling(root: Path) -> list[str]:
    p = root / "gone.log"
    p.symlink_to(root / "never-existed.log")
    return [str(p)]


def _empty_folder(root: Path) -> list[str]:
    (root / "empty" / "logs").mkdir(parents=True)
    return [str(root / "empty")]


def _folder_with_fifo(root: Path) -> list[str]:
    top = root / "bundle"
    (top / "logs").mkdir(parents=True)
    (top / "logs" / "app.log").write_bytes(LOG())
    os.mkfifo(top / "logs" / "pipe.log")
    return [str(top)]


def _folder_with_dir_loop(root: Path) -> list[str]:
    top = root / "bundle"
    (top / "logs").mkdir(parents=True)
    (top / "logs" / "app.log").write_bytes(LOG())
    (top / "logs" / "again").symlink_to(top, target_is_directory=True)
    return [str(top)]


def _with_incident(data: Callable[[], bytes]) -> Builder:
    def build(root: Path) -> list[str]:
        (root / "app.log").write_bytes(LOG())
        (root / "incident.json").write_bytes(data())
        return [str(root / "app.log"), "--incident", str(root / "incident.json")]
    return build


CASES: list[Case] = _cases()
BY_NAME: dict[str, Case] = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"
