"""Variable masking of log messages: values that are variables by their shape become ``<*>``.

Masking runs before clustering. It replaces what is a variable whatever its position (URLs,
emails, UUIDs, IPs, MACs, hex, numbers with units, durations, quoted values after ``=``); the
miner then finds the remaining variables by where messages of one template differ.
:func:`normalize_template` folds the miner's output into the Loghub-2.0 template convention
(``blk_<*>`` -> ``<*>``, runs of wildcards collapse).
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_MASK_PARTS = [
    r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?![\w:])",  # ISO datetime
    rf"(?<![\w])(?:{_DAY},?\s+)?{_MONTH}\s+\d{{1,2}},?(?:\s+\d{{4}})?\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s+\d{{4}})?(?![\w:])",
    rf"(?<![\w])\d{{1,2}}[/ -]{_MONTH}[/ -]\d{{4}}(?:[: ]\d{{2}}:\d{{2}}:\d{{2}})?(?![\w:])",  # 12/Mar/2024:11:00:00
    r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>\])}]+",                         # URL
    r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",                                       # email
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",  # UUID
    r"(?<![\w:])(?:[0-9a-fA-F]{2}[:\-]){5,}[0-9a-fA-F]{2}(?![\w:])",             # MAC
    r"(?<![\w.])/?\d{1,3}(?:\.\d{1,3}){3}(?![\w.])",                            # IPv4
    r"(?<![\w])0x[0-9a-fA-F]+(?![\w])",                                        # 0x hex
    r"(?<![\w.\-])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}(?![\w\-])",   # long hex ids
    r"(?<![\w.])(?:/[\w.\-@~%+]+){2,}/?",                                      # absolute paths
    r"(?<![\w])[A-Za-z]:\\[^\s\"'<>|]*",                                           # Windows paths
    r"(?<![\w.$])[A-Za-z_$][\w.$]*@[0-9a-f]{5,}(?![\w])",                         # Java object ids
    r"(?<![\w\-])(?:true|false|True|False|TRUE|FALSE|null|None|nil|NULL)(?![\w\-])",  # booleans / nulls
    r"(?<![\w.\-])(?=[\w.\-]*\d)[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,6}(?![\w.\-])",  # host names with digits
    r"(?<![\w.\-])[A-Za-z][A-Za-z0-9]*(?:[_\-][A-Za-z]+)*[_\-]-?\d{4,}(?:[_\-][A-Za-z0-9]+)*(?![\w.\-])",  # blk_123, job_1445_0020
    r"(?<![A-Za-z0-9_])[-+]?\d+(?:\.\d+)*(?:(?:ms|us|µs|ns|s|sec|secs|m|min|mins|h|hr|d|b|kb|mb|gb|tb|"
    r"kib|mib|gib|KB|MB|GB|TB|KiB|MiB|GiB|B|%))?(?![A-Za-z0-9_])",            # numbers, durations, sizes
]
_MONTH_RX = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
#: Parts that can span whitespace (dates); applied to the whole message when it may hold one.
_SPAN_RX = re.compile("|".join(f"(?:{p})" for p in _MASK_PARTS[:3]))
#: Parts that match within one whitespace-separated token.
_TOKEN_RX = re.compile("|".join(f"(?:{p})" for p in _MASK_PARTS[3:]))
_DIGITS = frozenset("0123456789")
_TOKEN_CACHE: dict[str, str] = {}
_TOKEN_CACHE_MAX = 200_000


#: A whitespace-free run longer than this is data (a payload, a blob), never template text; masking it
#: whole also keeps the regexes' cost linear in line length (their backtracking is quadratic per token).
MAX_TOKEN_CHARS = 256


def _mask_token(tok: str) -> str:
    if tok.isdigit() or len(tok) > MAX_TOKEN_CHARS:
        return WILDCARD
    key, eq, value = tok.partition("=")
    if eq and key and value and "=" not in value and key.replace("_", "").replace(".", "").isalnum():
        # key=value: the key is constant, the value is masked on its own (and cached if constant).
        if value.isdigit():
            return key + "=" + WILDCARD
        got = _TOKEN_CACHE.get(value)
        return key + "=" + (got if got is not None else _mask_token(value))
    out = _TOKEN_RX.sub(WILDCARD, tok)
    if WILDCARD not in out:  # cache constants only: variables rarely repeat and would churn the cache
        if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
            _TOKEN_CACHE.clear()
        _TOKEN_CACHE[tok] = out
    return out


def mask(message: str) -> str:
    """Replace shape-evident variables in ``message`` by ``<*>`` (whitespace collapses to one space).

    Date/time spans are masked on the whole message; everything else token by token through a
    bounded per-token cache (constant words repeat, so most tokens cost one dictionary lookup).
    """
    if ":" in message and not _DIGITS.isdisjoint(message) and ("-" in message or _MONTH_RX.search(message)):
        message = _SPAN_RX.sub(WILDCARD, message)
    get = _TOKEN_CACHE.get
    out = []
    for tok in message.split():
        m = get(tok)
        out.append(m if m is not None else _mask_token(tok))
    return " ".join(out)


_GLUE_RX = re.compile(r"[A-Za-z0-9_.\-+/~]*<\*>(?:[A-Za-z0-9_.\-+/~]*<\*>)*[A-Za-z0-9_.\-+/~]*")
_MULTI_RX = re.compile(r"<\*>(?:<\*>)+")
_WS_RX = re.compile(r"\s+")


def normalize_template(template: str) -> str:
    """Fold a template into the usual convention: a token part glued to a wildcard is a wildcard."""
    if WILDCARD not in template:
        return _WS_RX.sub(" ", template).strip()
    t = _GLUE_RX.sub(WILDCARD, template)
    t = _MULTI_RX.sub(WILDCARD, t)
    return _WS_RX.sub(" ", t).strip()
