"""Header vocabulary shared by the line parser: the ``ParsedLine`` record, header-token patterns,
bracket matching and level-word recognition."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from analysis.engines.logs.levels import COLON_LEVEL_WORDS, LEVEL_WORDS



@dataclass
class ParsedLine:
    """The header fields of one line and the message after them."""

    message: str
    family: str
    timestamp: datetime | None = None
    level: str | None = None
    host: str | None = None
    component: str | None = None
    pid: str | None = None
    service: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    fixed_template: str | None = None
    mine_text: str | None = None


_K8S_PREFIX = re.compile(r"^\[pod/(?P<pod>[^/\]\s]+)/(?P<container>[^\]\s]+)\]\s?")
_K8S_HEADER = re.compile(r"^\s*(?:NAMESPACE\s+)?(?:FIRST SEEN\s+)?LAST SEEN\s+.*\bREASON\b.*\bMESSAGE\s*$")


_SYSLOG_PRI = re.compile(r"^<(?P<pri>\d{1,3})>(?P<ver>\d{1,2} )?")
_PROGRAM = re.compile(r"^(?P<prog>[A-Za-z_][\w.\-/$@]*(?:\([\w.\-:/ ]*\))?)(?:\[(?P<pid>\d+)\])?:$")
_NGINX_PID = re.compile(r"^(?P<pid>\d+)#(?P<tid>\d+):$")
_SRCFILE = re.compile(r"^(?P<file>[\w.\-/]+:\d+)\]$")
_IDENT = re.compile(r"^[A-Za-z_$][\w$\-]*(?:\.[\w$\-]+)*$")
_DOTTED = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[\w$]+)+$")
_HOSTLIKE = re.compile(r"^[A-Za-z0-9][\w.\-]*$")
_SEPS = frozenset(("-", "--", "---", "|", ":", "::", ">", "-->", "»", "*"))
_PIDTHREAD = re.compile(r"^(?P<pid>\d+):(?P<thread>.+)$")
_PREFIX = re.compile(r"(?P<prefix>\S{1,40})\s+")
_LEVEL_PREFIX = re.compile(r"^(?P<lvl>[A-Za-z]{4,8}):(?P<logger>[\w.]+):(?P<msg>.*)$")
_LEVEL_START = re.compile(r"^\[?(?P<lvl>[A-Za-z]{3,9})\]?:?\s+(?P<msg>.*)$")
_KLOG_INNER = re.compile(r"^(?P<L>[IWEF])(?P<M>\d{2})(?P<D>\d{2}) \d{2}:\d{2}:\d{2}\.\d+\s+(?P<pid>\d+) "
                         r"(?P<file>[\w.\-/]+:\d+)\] ?(?P<msg>.*)$")
_REDIS_PREFIX = re.compile(r"^(?P<pid>\d+):(?P<role>[A-Z])$")
_TOKEN = re.compile(r"\S+")
_HEADERISH = re.compile(r"^(?:\S*\d\S*|[A-Z][A-Z0-9_]{1,11}|[\w.\-]+/[\w.\-/]+)$")
_MONTHS_DAYS = frozenset("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec Mon Tue Wed Thu Fri Sat Sun".split())
_ERROR_WORDS = re.compile(
    r"\b(?:[A-Za-z.]*(?:Exception|Error)\b|error|failed|failure|fatal|panic|segfault|out of memory|oom[- ]?kill\w*|"
    r"no space left|refused|denied|timed out|timeout|unreachable|unavailable|killed process|traceback|"
    r"warning|warn)\b", re.I)


def bracket_end(s: str, pos: int) -> int:
    """Index of the ``]`` closing the ``[`` at ``pos`` (nesting aware), -1 if none within 200 chars."""
    close = s.find("]", pos + 1, pos + 200)
    if close < 0:
        return -1
    if s.find("[", pos + 1, close) < 0:
        return close
    depth = 0
    for i in range(pos, min(len(s), pos + 200)):
        c = s[i]
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i
    return -1


_LEVEL_TOKEN_CACHE: dict[str, str | None] = {}


def _level_token(tok: str) -> str | None:
    """A header token that is a level word (``INFO``, ``[error]``, ``<warn>``, ``LOG:``)."""
    try:
        return _LEVEL_TOKEN_CACHE[tok]
    except KeyError:
        pass
    lv = _level_token_uncached(tok)
    if len(_LEVEL_TOKEN_CACHE) > 50_000:
        _LEVEL_TOKEN_CACHE.clear()
    _LEVEL_TOKEN_CACHE[tok] = lv
    return lv


def _level_token_uncached(tok: str) -> str | None:
    t = tok.strip("[]<>")
    colon = t.endswith(":")
    t = t.rstrip(":").upper()
    if t in LEVEL_WORDS:
        return LEVEL_WORDS[t]
    if colon and t in COLON_LEVEL_WORDS:
        return COLON_LEVEL_WORDS[t]
    return None


