"""Redaction before anything leaves the machine, and de-anonymisation of the answer for display.

:class:`Redactor` replaces secrets (cloud keys, tokens, JWTs, private keys, passwords in URLs and
key=value pairs, auth headers, cookies, high-entropy strings), PII (emails, phone numbers, card
numbers, SSNs, IBANs), IPs, MACs, hostnames, AWS account ids and user ids by *stable*
placeholders (``<SECRET_1>``, ``<EMAIL_2>`` ...): the same value always gets the same placeholder
within one redactor, so the model can still correlate, and :meth:`Redactor.restore` puts the
originals back into the model's answer. :func:`redact_image` blacks out OCR'd words that the
text rules flag. :func:`preview` shows the redacted payload an agent would send.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER_RE = re.compile(r"<(SECRET|EMAIL|IP|MAC|HOST|USER|ACCOUNT|PHONE|CARD|SSN|IBAN)_(\d+)>")

_TLDS = ("com|net|org|io|dev|app|cloud|internal|local|lan|corp|intra|intranet|home|example|test|"
         "co|us|uk|de|fr|nl|eu|jp|in|au|ca|ch|se|no|es|it|br|ru|cn|info|biz|me|ai|tech|online|site|xyz|gov|edu|mil")


def _luhn(digits: str) -> bool:
    nums = [int(c) for c in digits if c.isdigit()]
    if not 13 <= len(nums) <= 19 or len(set(nums)) == 1:
        return False
    total = 0
    for i, d in enumerate(reversed(nums)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _high_entropy(value: str) -> bool:
    has = (any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value))
    return all(has) and len(set(value)) >= 12


@dataclass(frozen=True)
class Rule:
    """One pattern: ``group`` is the part that is replaced by a ``kind`` placeholder."""

    name: str
    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    check: Callable[[str], bool] | None = None
    hints: tuple[str, ...] = ()

    def may_match(self, lowered: str) -> bool:
        """Cheap prefilter: a rule with literal hints only runs when one of them occurs."""
        return not self.hints or any(h in lowered for h in self.hints)


def _r(name: str, kind: str, pattern: str, group: int = 0, flags: int = 0,
       check: Callable[[str], bool] | None = None) -> Rule:
    return Rule(name, kind, re.compile(pattern, flags), group, check, _HINTS.get(name, ()))


#: Lower-case literals one of which must occur for a rule to be tried (rules not listed always run).
_HINTS: dict[str, tuple[str, ...]] = {
    "pem_block": ("private key",), "pem_header": ("-----",), "ssh_key": ("aaaa",), "url_password": ("://",),
    "url_user": ("://",), "slack_webhook": ("hooks.slack",), "discord_webhook": ("discord",),
    "teams_webhook": ("webhook.office",), "github": ("gh", "github_pat"), "gitlab": ("gl",), "slack_token": ("xox",),
    "stripe": ("_live_", "_test_", "whsec_"), "google_api_key": ("aiza",), "google_oauth": ("ya29.", "1//0"),
    "jwt": ("eyj",), "sendgrid": ("sg.",), "npm": ("npm_",), "pypi": ("pypi-",), "anthropic_openai": ("sk-",),
    "hf_token": ("hf_",), "shopify": ("shp",), "square": ("sq0", "eaaa"), "mailgun": ("key-",), "mailchimp": ("-us",),
    "telegram": (":aa",), "azure_conn": ("sharedaccess", "accountkey"), "auth_header": ("authorization",),
    "bearer": ("bearer",), "cookie": ("cookie",), "cli_flag": ("-",), "password_phrase": ("pass", "pwd"),
    "aws_arn_account": ("arn:",), "account_id": ("account",), "email": ("@",), "mac": (":", "-"),
    "ipv6": (":",), "ipv4": (".",), "ec2_host": ("ip-",), "fqdn": (".",), "home_dir": ("/home/", "/users/"),
    "user_phrase": ("user",), "ssh_password_for": (" for ",), "ssn": ("-",),
}


_KEYWORDS = (r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|[a-z]*key|credentials?|"
             r"auth(?:_?token)?|session(?:[_-]?id)?|sid|cookie|signature|sig|salt|otp|pin|bearer|jwt|dsn|"
             r"private[_-]?key|access[_-]?key(?:[_-]?id)?|client[_-]?secret|x-api-key|x-auth-token")

#: Ordered: specific token shapes first, generic key=value and entropy rules last.
RULES: tuple[Rule, ...] = (
    _r("pem_block", "SECRET", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)",
       flags=re.S),
    _r("pem_header", "SECRET", r"-----(?:BEGIN|END) [A-Z0-9 ]*(?:PRIVATE KEY|CERTIFICATE)[A-Z ]*-----"),
    _r("ssh_key", "SECRET", r"\b(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+) AAAA[0-9A-Za-z+/=]{20,}"),
    _r("url_password", "SECRET", r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'\"]*:([^\s@/'\"]+)@", 1),
    _r("url_user", "USER", r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://([^\s:/@'\"<>]+):[^\s@/'\"]+@", 1),
    _r("slack_webhook", "SECRET", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]+"),
    _r("discord_webhook", "SECRET", r"https://(?:discord|discordapp)\.com/api/webhooks/[A-Za-z0-9/_-]+"),
    _r("teams_webhook", "SECRET", r"https://[\w.-]+\.webhook\.office\.com/[^\s'\"]+"),
    _r("aws_access_key", "SECRET", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    _r("github", "SECRET", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    _r("gitlab", "SECRET", r"\bgl(?:pat|dt|rt|ptt|cbt|soat)-[A-Za-z0-9_-]{20,}\b"),
    _r("slack_token", "SECRET", r"\bxox[abposre]-[A-Za-z0-9-]{10,}\b"),
    _r("stripe", "SECRET", r"\b(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]{10,}\b|\bwhsec_[A-Za-z0-9]{20,}\b"),
    _r("google_api_key", "SECRET", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    _r("google_oauth", "SECRET", r"\bya29\.[0-9A-Za-z_-]{20,}|\b1//0[0-9A-Za-z_-]{30,}"),
    _r("jwt", "SECRET", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    _r("sendgrid", "SECRET", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b"),
    _r("twilio", "SECRET", r"\b(?:AC|SK)[0-9a-f]{32}\b"),
    _r("npm", "SECRET", r"\bnpm_[A-Za-z0-9]{30,}\b"),
    _r("pypi", "SECRET", r"\bpypi-[A-Za-z0-9_-]{40,}\b"),
    _r("anthropic_openai", "SECRET", r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b"),
    _r("hf_token", "SECRET", r"\bhf_[A-Za-z0-9]{30,}\b"),
    _r("vault", "SECRET", r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}\b|\bs\.[A-Za-z0-9]{24}\b"),
    _r("shopify", "SECRET", r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b"),
    _r("square", "SECRET", r"\bsq0(?:atp|csp|idp)-[0-9A-Za-z_-]{20,}\b|\bEAAA[0-9A-Za-z_-]{40,}\b"),
    _r("mailgun", "SECRET", r"\bkey-[0-9a-zA-Z]{32}\b"),
    _r("mailchimp", "SECRET", r"\b[0-9a-f]{32}-us\d{1,2}\b"),
    _r("telegram", "SECRET", r"\b\d{8,10}:AA[0-9A-Za-z_-]{30,}\b"),
    _r("doppler_linear_etc", "SECRET", r"\b(?:dp\.pt\.|lin_api_|glc_|dop_v1_|shpss_|xapp-|pat-na1-|ATATT3)[A-Za-z0-9_=-]{16,}"),
    _r("azure_conn", "SECRET", r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)=([^;\s'\"]+)", 1),
    _r("auth_header", "SECRET", r"(?i)\b(?:proxy-)?authorization\b['\"]?\s*[:=]\s*['\"]?([^\r\n'\"]+)", 1),
    _r("bearer", "SECRET", r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})", 1),
    _r("cookie", "SECRET", r"(?i)\b(?:set-)?cookie\b['\"]?\s*[:=]\s*([^\r\n'\"]+)", 1),
    _r("cli_flag", "SECRET", r"(?i)(?:^|\s)--?(?:password|passwd|pass|token|secret|api-key|apikey|client-secret)[ =]([^\s'\"]+)", 1),
    _r("password_phrase", "SECRET", r"(?i)\b(?:password|passphrase|pwd)\s+(?:is|was|set to)\s+['\"]?([^\s'\",;]+)", 1),
    _r("aws_arn_account", "ACCOUNT", r"\barn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):", 1),
    _r("account_id", "ACCOUNT", r"(?i)\b(?:aws[_ -]?)?account(?:[_ -]?id)?['\"]?\s*[:=]?\s*['\"]?(\d{12})\b", 1),
    _r("email", "EMAIL", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
    _r("keyvalue_secret", "SECRET",
       r"(?i)(?<![\w-])(?:[\w.-]*?[_.-])?(?:" + _KEYWORDS + r")(?:[_-]?id)?['\"]?\s*(?:[:=]|=>)\s*['\"]?([^\s'\",;&}<>)\]]+)", 1),
    _r("iban", "IBAN", r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b",
       check=lambda v: sum(c.isdigit() for c in v) >= 10),
    _r("card", "CARD", r"\b\d(?:[ -]?\d){12,18}\b", check=_luhn),
    _r("ssn", "SSN", r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"),
    _r("phone", "PHONE", r"(?:(?<=\s)|(?<=^)|(?<=[:=(]))\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}\b"
                         r"|\(\d{3}\)\s?\d{3}[ .-]\d{4}\b|\b\d{3}[.-]\d{3}[.-]\d{4}\b"),
    _r("mac", "MAC", r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b"),
    _r("ipv6", "IP", r"(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,7}:"
                     r"(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?)(?![\w:])",
       check=lambda v: len(v) >= 6),
    _r("ipv4", "IP", r"(?<![\d.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\d.])"),
    _r("ec2_host", "HOST", r"\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.[\w.-]+)?\b"),
    _r("fqdn", "HOST", r"\b(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+(?:" + _TLDS + r")\b(?!\w|\.\w|[(…-])"),
    _r("host_kv", "HOST", r"(?i)\b(?:r?host(?:name)?|server|node(?:name)?)['\"]?\s*[:=]\s*['\"]?([A-Za-z0-9][A-Za-z0-9.-]*\d[A-Za-z0-9.-]*)", 1),
    _r("user_kv", "USER",
       r"(?i)\b(?:r?user(?:[_-]?(?:name|id))?|uid|login|owner|actor|principal|customer(?:[_-]?id)?|member(?:[_-]?id)?|"
       r"employee(?:[_-]?id)?|subject|sub|player(?:[_-]?id)?)['\"]?\s*[:=]\s*['\"]?([A-Za-z0-9._@-]{2,})", 1),
    _r("user_phrase", "USER", r"(?i)\b(?:for|invalid|by|as) user\s+['\"]?([A-Za-z0-9._@-]{2,})", 1),
    _r("ssh_password_for", "USER", r"(?i)\b(?:password|publickey) for (?:invalid user )?([A-Za-z0-9._@-]{2,})", 1),
    _r("home_dir", "USER", r"/(?:home|Users)/([A-Za-z0-9._-]{2,})", 1),
    _r("high_entropy", "SECRET", r"(?<![\w/+=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![\w/+=-])", check=_high_entropy),
)

#: user ids that are not personal (service accounts, system users) and stay readable.
_KEEP_USERS = {"root", "nobody", "system", "admin", "daemon", "www-data", "anonymous", "unknown", "none", "null",
               "true", "false"}


@dataclass
class Redactor:
    """Stable value <-> placeholder mapping for one analysis run."""

    keep_users: set[str] = field(default_factory=lambda: set(_KEEP_USERS))
    _by_value: dict[str, str] = field(default_factory=dict)
    _by_placeholder: dict[str, str] = field(default_factory=dict)
    _counters: Counter = field(default_factory=Counter)
    hits: Counter = field(default_factory=Counter, repr=False)
    _memo: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)

    def placeholder(self, kind: str, value: str) -> str:
        if value in self._by_value:
            return self._by_value[value]
        self._counters[kind] += 1
        ph = f"<{kind}_{self._counters[kind]}>"
        self._by_value[value] = ph
        self._by_placeholder[ph] = value
        return ph

    def _apply(self, rule: Rule, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            value = m.group(rule.group)
            if not value or PLACEHOLDER_RE.search(value) or value.startswith("<") or value in ("*", "<*>"):
                return m.group(0)
            if rule.check is not None and not rule.check(value):
                return m.group(0)
            if rule.kind == "USER" and value.lower() in self.keep_users:
                return m.group(0)
            self.hits[rule.name] += 1
            ph = self.placeholder(rule.kind, value)
            start, end = m.start(rule.group) - m.start(0), m.end(rule.group) - m.start(0)
            whole = m.group(0)
            return whole[:start] + ph + whole[end:]

        return rule.pattern.sub(sub, text)

    def redact(self, text: str) -> str:
        """Replace every sensitive value in ``text`` with its placeholder (memoised; idempotent)."""
        if not text or len(text) < 5:
            return text
        known = len(self._by_value)
        memo = self._memo.get(text)
        if memo is not None:
            out, seen = memo
            if seen != known:  # values learned since: they may occur bare in this text
                out = self._known_values(out)
                self._memo[text] = (out, known)
            return out
        out = text
        lowered = text.lower()
        for rule in RULES:
            if rule.may_match(lowered):
                out = self._apply(rule, out)
        out = self._known_values(out)
        if len(self._memo) < 200_000:
            self._memo[text] = (out, len(self._by_value))
            self._memo[out] = (out, len(self._by_value))
        return out

    def _known_values(self, text: str) -> str:
        """Values already known from elsewhere (a password seen as ``password=x``, now bare), whole tokens only."""
        for value, ph in sorted(self._by_value.items(), key=lambda kv: (-len(kv[0]), kv[0])):
            if len(value) >= 6 and value in text:
                text = re.sub(r"(?<![A-Za-z0-9+/=_.-])" + re.escape(value) + r"(?![A-Za-z0-9+/=_-])", ph, text)
        return text

    def redact_obj(self, obj: Any) -> Any:
        """Redact every string (keys included) in a JSON-like structure."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {self.redact(str(k)): self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.redact_obj(v) for v in obj]
        return obj

    def restore(self, text: str) -> str:
        """Put the original values back (for display only; never sent)."""
        if not text or "<" not in text:
            return text
        return PLACEHOLDER_RE.sub(lambda m: self._by_placeholder.get(m.group(0), m.group(0)), text)

    def restore_obj(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.restore(obj)
        if isinstance(obj, dict):
            return {k: self.restore_obj(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.restore_obj(v) for v in obj]
        return obj

    def counts(self) -> dict[str, int]:
        """How many distinct values per placeholder kind were redacted so far."""
        return dict(sorted(self._counters.items()))

    def sensitive_values(self) -> list[str]:
        return list(self._by_value)


# ---------------------------------------------------------------------------------------- images
def ocr_words(image: Any) -> list[tuple[str, tuple[int, int, int, int], tuple[int, int, int]]] | None:
    """Words with pixel boxes and (block, paragraph, line) keys via tesseract; None when OCR is unavailable."""
    try:
        import pytesseract

        data = pytesseract.image_to_data(image, config="--psm 11", output_type=pytesseract.Output.DICT)
    except Exception:
        return None
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text:
            continue
        box = (data["left"][i], data["top"][i], data["left"][i] + data["width"][i], data["top"][i] + data["height"][i])
        words.append((text, box, (data["block_num"][i], data["par_num"][i], data["line_num"][i])))
    return words


_PUNCT = ".,;:'\"()[]{}<>|"


_TOKEN_PREFIXES = re.compile(r"^(?:xox[abposre]-|gh[pousr]_|github_pat_|glpat-|sk[_-]|rk_|pk_|AKIA|ASIA|eyJ|hv[sbr]\.|AIza|"
                             r"ya29\.|SG\.|npm_|pypi-|hf_|shp[a-z]{2}_|sq0|key-|AccountKey|Bearer|Basic)", re.I)


def looks_sensitive(word: str) -> bool:
    """A lone OCR'd word that is token-like (long mixed letters+digits, a known token prefix even when OCR
    cut it short), an address, or an e-mail part."""
    w = word.strip(_PUNCT)
    if "@" in w and len(w) >= 5:
        return True
    if _TOKEN_PREFIXES.match(w) and len(w) >= 4:
        return True
    if len(w) >= 16 and any(c.isdigit() for c in w) and any(c.isalpha() for c in w):
        return True
    return bool(re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?", w))


def _ink_end(gray: Any, box: tuple[int, int, int, int]) -> int:
    """Right edge of the text run that starts at ``box``: OCR often misses the tail of a token, so a mask
    extends through contiguous "ink" on the same text band (stops after a gap of ~2 character heights)."""
    import numpy as np

    x0, y0, x1, y1 = box
    band = gray[max(0, y0):max(y0 + 1, y1), :]
    if band.size == 0:
        return x1
    background = float(np.median(band[:, max(0, x0 - 8):max(1, x0 - 1)])) if x0 > 2 else float(np.median(band))
    ink = (np.abs(band.astype(float) - background) > 60).any(axis=0)
    gap_limit = max(12, 2 * (y1 - y0))
    end, gap = x1, 0
    for x in range(x1, band.shape[1]):
        if ink[x]:
            end, gap = x, 0
        else:
            gap += 1
            if gap > gap_limit:
                break
    return end


def redact_image(image: Any, redactor: Redactor, words: list | None = None) -> tuple[Any, int] | None:
    """Black out OCR'd words that the text rules flag (or that look like tokens), each extended through
    the rest of its text run; returns (copy, boxes masked), or None when OCR is unavailable (the caller
    must then not send the image)."""
    import numpy as np
    from PIL import ImageDraw

    words = ocr_words(image) if words is None else words
    if words is None:
        return None
    gray = np.asarray(image.convert("L"))
    lines: dict[tuple, list] = {}
    for text, box, key in words:
        lines.setdefault(key, []).append((text, box))
    out = image.copy()
    draw = ImageDraw.Draw(out)
    masked = 0
    for key in sorted(lines):
        items = lines[key]
        line = " ".join(t for t, _ in items)
        changed = redactor.redact(line) != line
        values = [v for v in redactor.sensitive_values() if v in line] if changed else []
        for text, box in items:
            core = text.strip(_PUNCT)
            hit = looks_sensitive(text) or any(
                core == v or (len(core) >= 3 and core in v) or (len(v) >= 3 and v in core) for v in values)
            if not hit:
                continue
            x0, y0, x1, y1 = box
            x1 = _ink_end(gray, box)
            pad = max(3, (y1 - y0) // 3)  # descenders and accents
            draw.rectangle([x0 - 3, y0 - pad, x1 + 3, y1 + pad], fill=(0, 0, 0))
            masked += 1
    return out, masked


# ---------------------------------------------------------------------------------------- preview
def preview(agent: str, ctx: Any, offline: Any = None) -> Any:
    """The redacted payload ``agent`` would send for ``ctx`` (see :class:`analysis.llm.payloads.PayloadPreview`)."""
    from analysis.llm.payloads import preview_payload

    return preview_payload(agent, ctx, offline)
