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

_MASK_PARTS = [
    r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>\])}]+",                         # URL
    r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",                                       # email
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",  # UUID
    r"(?<![\w:])(?:[0-9a-fA-F]{2}[:\-]){5,}[0-9a-fA-F]{2}(?![\w:])",             # MAC
    r"(?<![\w.])/?\d{1,3}(?:\.\d{1,3}){3}(?![\w.])",                            # IPv4
    r"(?<![\w])0x[0-9a-fA-F]+(?![\w])",                                        # 0x hex
    r"(?<![\w.\-])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}(?![\w\-])",   # long hex ids
    r"(?<![\w.])(?:/[\w.\-@~%+]+){2,}/?",                                      # absolute paths
    r"(?<![A-Za-z0-9_])[-+]?\d+(?:[.,]\d+)*(?:\s?(?:ms|us|µs|ns|s|sec|secs|m|min|mins|h|hr|d|b|kb|mb|gb|tb|"
    r"kib|mib|gib|KB|MB|GB|TB|KiB|MiB|GiB|B|%))?(?![A-Za-z0-9_])",            # numbers, durations, sizes
]
_MASK_RX = re.compile("|".join(f"(?:{p})" for p in _MASK_PARTS))

_GLUE_RX = re.compile(r"[A-Za-z0-9_.\-+/~]*<\*>(?:[A-Za-z0-9_.\-+/~]*<\*>)*[A-Za-z0-9_.\-+/~]*")
_MULTI_RX = re.compile(r"<\*>(?:<\*>)+")
_WS_RX = re.compile(r"\s+")


def mask(message: str) -> str:
    """Replace shape-evident variables in ``message`` by ``<*>``."""
    return _MASK_RX.sub(WILDCARD, message)


def normalize_template(template: str) -> str:
    """Fold a template into the usual convention: a token part glued to a wildcard is a wildcard."""
    if WILDCARD not in template:
        return _WS_RX.sub(" ", template).strip()
    t = _GLUE_RX.sub(WILDCARD, template)
    t = _MULTI_RX.sub(WILDCARD, t)
    return _WS_RX.sub(" ", t).strip()
