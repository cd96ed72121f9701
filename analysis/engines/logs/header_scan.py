"""The free-form header scan of :class:`~analysis.engines.logs.headers.LineParser`: walks the tokens
before the message (timestamp, level, host, component, pid/thread, syslog tag) of lines that match
no fixed family, and anchors where the message starts."""

from __future__ import annotations

import re

from analysis.engines.logs import services
from analysis.engines.logs.levels import SINGLE_LETTER
from analysis.engines.logs.header_patterns import (
    bracket_end,
    _DOTTED,
    _HEADERISH,
    _HOSTLIKE,
    _IDENT,
    _level_token,
    _MONTHS_DAYS,
    _NGINX_PID,
    ParsedLine,
    _PIDTHREAD,
    _PROGRAM,
    _SEPS,
    _SRCFILE,
    _TOKEN,
)


class HeaderScan:
    """Mixin of :class:`LineParser` (uses its ``ts`` reader); state lives in the parser."""

    def _greedy(self, s: str, pos: int, p: ParsedLine) -> None:
        """Consume header tokens after the timestamp until the message starts."""
        n = len(s)
        consumed = 0
        prev_numeric = False
        brackets: list[str] = []
        spring = False
        after_sep = False
        if p.family == "syslog" and self._syslog_tag(s, pos, p):
            return
        while consumed < 12:
            while pos < n and s[pos] in " \t":
                pos += 1
            if pos >= n:
                break
            if s[pos] == "[":
                end = bracket_end(s, pos)
                if end < 0:
                    break
                inner = s[pos + 1:end].strip()
                nxt = s[end + 1:end + 2]
                spaced = " " in inner or "\t" in inner
                if spaced and spring and not brackets and len(inner) <= 40:
                    spaced = False
                if spaced and not after_sep and p.level is not None and len(inner) <= 120:
                    after = _TOKEN.match(s, end + 1) if end + 1 < n else None
                    if after is not None and after.group() in _SEPS:
                        spaced = False
                if not inner or spaced or nxt not in ("", " ", "\t", ":"):
                    if nxt == "@" or (inner and " " not in inner and nxt not in ("", " ", "\t", ":")):
                        pass  # e.g. PostgreSQL "[unknown]@[unknown]": handled as a token below
                    else:
                        break
                else:
                    lv = _level_token(inner)
                    pt = _PIDTHREAD.match(inner)
                    sf = _SRCFILE.match(inner + "]")
                    if lv and p.level is None:
                        p.level = lv
                    elif inner.isdigit() and p.pid is None:
                        p.pid = inner
                    elif pt:
                        p.pid = pt.group("pid")
                        p.fields["thread"] = pt.group("thread")
                    elif sf and p.component is None:
                        p.component = inner
                    else:
                        brackets.append(inner)
                    pos = end + 1
                    if pos < n and s[pos] == ":":
                        pos += 1
                    consumed += 1
                    prev_numeric = inner.isdigit()
                    after_sep = False
                    continue
            if spring and brackets and p.component is None:
                col = s.find(" : ", pos, pos + 120)
                if col > pos:
                    p.component = s[pos:col].strip()
                    pos = col + 3
                    break
            tm = _TOKEN.match(s, pos)
            if tm is None:
                break
            tok = tm.group()
            end = tm.end()
            if tok in _SEPS:
                if tok == "---":
                    spring = True
                pos = end
                consumed += 1
                after_sep = True
                continue
            lv = _level_token(tok)
            if lv and p.level is None:
                p.level = lv
                pos = end
                consumed += 1
                prev_numeric = False
                after_sep = False
                continue
            nt = _TOKEN.match(s, end + 1) if end < n else None
            nxt = nt.group() if nt else ""
            if after_sep:
                # After a separator only a logger name followed by another separator continues the header.
                if _IDENT.match(tok) and nxt in _SEPS and p.component is None and \
                        (p.level is None or _DOTTED.match(tok) or spring):
                    p.component = tok
                    pos = end
                    consumed += 1
                    continue
                break
            if tok.isdigit() and len(tok) <= 10 and p.component is None and (p.pid is None or "thread" not in p.fields):
                if p.pid is None:
                    p.pid = tok
                else:
                    p.fields["thread"] = tok
                pos = end
                consumed += 1
                prev_numeric = True
                continue
            if prev_numeric and p.level is None and len(tok) == 1 and tok in SINGLE_LETTER:
                p.level = SINGLE_LETTER[tok]
                pos = end
                consumed += 1
                prev_numeric = False
                continue
            prev_numeric = False
            m = _NGINX_PID.match(tok)
            if m:
                p.pid = m.group("pid")
                p.fields["thread"] = m.group("tid")
                p.family = "nginx-error"
                pos = end
                break
            m = _SRCFILE.match(tok)
            if m:
                p.component = m.group("file")
                pos = end
                break
            if "@" in tok and nxt and _level_token(nxt) and nxt.endswith(":"):
                user, _, db = tok.partition("@")
                if user.strip("[]") not in ("", "unknown"):
                    p.fields["user"] = user
                if db.strip("[]") not in ("", "unknown"):
                    p.fields["database"] = db
                p.family = "postgresql"
                pos = end
                consumed += 1
                continue
            m = _PROGRAM.match(tok)
            if m and consumed <= 8:
                prog = m.group("prog")
                p.component = prog
                if m.group("pid"):
                    p.pid = m.group("pid")
                if p.family in ("syslog",) or m.group("pid") or p.host:
                    p.service = p.service or services.from_program(prog)
                pos = end
                break
            if consumed == 0 and p.host is None and _HOSTLIKE.match(tok) and nxt and _PROGRAM.match(nxt):
                p.host = tok
                if p.family.startswith("text:iso"):
                    p.family = "syslog-iso"
                pos = end
                consumed += 1
                continue
            if _IDENT.match(tok) and len(tok) <= 120 and p.component is None:
                if (nxt in _SEPS and ((_DOTTED.match(tok) and (p.level is not None or tok.count(".") >= 2 or
                                                             tok.rsplit(".", 1)[1][:1].isupper()))
                                      or spring or tok[:1] == "." or
                                      (p.level is None and self._level_after(s, nt.end() if nt else n)))) or \
                        (nxt.startswith("[") and _DOTTED.match(tok)) or \
                        (_DOTTED.match(tok) and p.level is not None and tok.count(".") >= 2) or \
                        (p.level is not None and s[end:end + 2] == "  " and len(tok) <= 40):
                    p.component = tok
                    pos = end
                    consumed += 1
                    continue
            skip = self._anchor_ahead(s, pos, p) if consumed <= 4 else None
            if skip is not None:
                pos = skip
            break
        if brackets:
            if spring and len(brackets) >= 2:
                p.service = p.service or brackets[0]
                p.fields["thread"] = brackets[1]
            elif p.component is None and len(brackets) == 1:
                p.fields["thread"] = brackets[0]
            else:
                p.fields["thread"] = brackets[0]
                if p.component is None and len(brackets) > 1:
                    p.component = brackets[-1]
        if spring:
            p.family = "spring-boot"
        elif p.family.startswith("text:") and p.component and p.level and _DOTTED.match(p.component):
            p.family = "log4j"
        p.message = s[pos:].strip()

    @staticmethod
    def _level_after(s: str, pos: int) -> bool:
        t = _TOKEN.match(s, pos + 1) if pos < len(s) else None
        return t is not None and _level_token(t.group()) is not None

    def _anchor_ahead(self, s: str, pos: int, p: ParsedLine) -> int | None:
        """Skip header-ish fields (ids with digits, CAPS words, month names) up to a level word or a
        ``program[pid]:`` tag within the next eight tokens; returns the position after the anchor."""
        toks = []
        q = pos
        for _ in range(9):
            t = _TOKEN.match(s, q)
            if t is None:
                break
            toks.append(t)
            q = t.end()
            while q < len(s) and s[q] in " \t":
                q += 1
        for j, t in enumerate(toks):
            word = t.group()
            if j and p.level is None and word.isupper() and _level_token(word):
                p.level = _level_token(word)
                return t.end()
            pm = _PROGRAM.match(word)
            if j and pm and not word[:-1].isdigit():
                p.component = pm.group("prog")
                if pm.group("pid"):
                    p.pid = pm.group("pid")
                p.service = p.service or services.from_program(pm.group("prog"))
                if j >= 1 and p.host is None:
                    prev = toks[j - 1].group()
                    if _HOSTLIKE.match(prev.split("/")[0]):
                        p.host = prev.split("/")[0]
                return t.end()
            if not (_HEADERISH.match(word) or word[:3] in _MONTHS_DAYS):
                return None
        return None

    def _syslog_tag(self, s: str, pos: int, p: ParsedLine) -> bool:
        """RFC 3164: ``HOST TAG: message`` (the tag may hold a pid, a version or a sub-facility)."""
        n = len(s)
        while pos < n and s[pos] in " \t":
            pos += 1
        tm = _TOKEN.match(s, pos)
        if tm is None:
            return False
        tok = tm.group()
        if _PROGRAM.match(tok):  # no host field
            start = pos
        elif _HOSTLIKE.match(tok):
            p.host = tok
            start = tm.end() + 1
        else:
            return False
        colon = s.find(": ", start, start + 64)
        if colon < 0 and s.endswith(":") and len(s) - start <= 64:
            colon = len(s) - 1
        if colon < 0:
            p.message = s[start:].strip()
            return True
        tag = s[start:colon].strip()
        if not tag or len(tag.split()) > 3 or "=" in tag or '"' in tag:
            p.message = s[start:].strip()
            return True
        p.component = tag
        m = re.search(r"\[(\d+)\]$", tag)
        if m:
            p.pid = m.group(1)
        p.service = p.service or services.from_program(tag.split()[0])
        p.message = s[colon + 1:].strip()
        return True

