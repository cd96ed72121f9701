"""Log level vocabulary: many spellings -> TRACE/DEBUG/INFO/WARN/ERROR/FATAL."""

from __future__ import annotations

from analysis.engines.logs.models import LEVEL_RANK

LEVEL_WORDS: dict[str, str] = {
    "TRACE": "TRACE", "FINEST": "TRACE", "FINER": "TRACE", "VERBOSE": "TRACE", "TRC": "TRACE",
    "DEBUG": "DEBUG", "FINE": "DEBUG", "DBG": "DEBUG", "CONFIG": "DEBUG",
    "INFO": "INFO", "INFORMATION": "INFO", "INFORMATIONAL": "INFO", "NOTICE": "INFO", "NOTE": "INFO",
    "INF": "INFO", "LOG": "INFO", "SYSTEM": "INFO",
    "WARN": "WARN", "WARNING": "WARN", "WRN": "WARN",
    "ERROR": "ERROR", "ERR": "ERROR", "SEVERE": "ERROR", "EROR": "ERROR",
    "CRIT": "FATAL", "CRITICAL": "FATAL", "FATAL": "FATAL", "ALERT": "FATAL", "EMERG": "FATAL",
    "EMERGENCY": "FATAL", "PANIC": "FATAL", "FTL": "FATAL",
}
#: Words that are levels only when written with a trailing colon (PostgreSQL ``DETAIL:``).
COLON_LEVEL_WORDS: dict[str, str] = {"DETAIL": "INFO", "HINT": "INFO", "STATEMENT": "INFO",
                                     "CONTEXT": "INFO", "QUERY": "INFO", "LOCATION": "INFO"}
SINGLE_LETTER: dict[str, str] = {"V": "TRACE", "D": "DEBUG", "I": "INFO", "W": "WARN", "E": "ERROR",
                                 "F": "FATAL", "A": "FATAL"}


def normalize_level(word: str | None) -> str | None:
    """Any level spelling -> the normalised name, or None."""
    if not word:
        return None
    w = word.strip().strip("[]<>():").upper()
    if w in LEVEL_WORDS:
        return LEVEL_WORDS[w]
    if w in COLON_LEVEL_WORDS:
        return COLON_LEVEL_WORDS[w]
    if len(w) == 1 and w in SINGLE_LETTER:
        return SINGLE_LETTER[w]
    if w.isdigit():
        return level_from_number(int(w))
    return None


def level_from_number(value: float | int | str) -> str | None:
    """Numeric levels: pino/bunyan (10..60), logback level_value (5000..40000), syslog (0..7)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return normalize_level(str(value))
    if v >= 1000:
        v = v / 1000.0
        return "TRACE" if v <= 5 else "DEBUG" if v <= 10 else "INFO" if v <= 20 else "WARN" if v <= 30 else "ERROR"
    if v >= 10:
        return "TRACE" if v < 20 else "DEBUG" if v < 30 else "INFO" if v < 40 else "WARN" if v < 50 \
            else "ERROR" if v < 60 else "FATAL"
    return ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")[int(v)] if 0 <= v <= 7 else None


def rank(level: str | None) -> int:
    """Severity rank (-1 for unknown)."""
    return LEVEL_RANK.get(level or "", -1)


def is_error(level: str | None) -> bool:
    return rank(level) >= LEVEL_RANK["ERROR"]
