"""What each configuration key allows, beyond its type: one table, keyed by
the dotted key path as written in ``config.yaml``.

The type of a key (string, whole number, list, ...) comes from the field of
its record in :mod:`reviewbot.config`; this table adds the choices, ranges
and shapes, so that a bad value is refused at load time with the file, the
key, the value and what is allowed, instead of surfacing later as an
internal error or, worse, being used.  Every key has an entry (a test holds
the table and the records equal).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from reviewbot.records import record

_SEVERITIES = ("info", "warning", "error")
_CONFIDENCES = ("low", "medium", "high")
_FORMATS = ("text", "checkpatch", "json", "sarif", "b4", "b4-review")
_SECURITY = ("none", "starttls", "tls")
_KERNEL = re.compile(r"v?\d{1,3}\.\d{1,3}(\.\d{1,4})?(-rc\d{1,3})?")
_RULE_ID = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_URL = re.compile(r"https?://[^\s/?#@]+(/[^\s]*)?")
_LIST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
MAX_TEXT = 1000  # characters of one string value; longer ones are not configuration


@record
class Allowed:
    """A test on one (already type-checked) value and the words that say
    what it accepts, as the error message prints them."""

    test: Callable[[Any], bool]
    says: str


def _one_line(limit: int = MAX_TEXT) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and len(v) <= limit and not any(c in v for c in "\r\n\0")


def _choice(*choices: str) -> Allowed:
    return Allowed(lambda v: v in choices, "one of " + ", ".join(choices))


def _pattern(regex: re.Pattern[str], says: str, limit: int = MAX_TEXT) -> Allowed:
    return Allowed(lambda v: isinstance(v, str) and len(v) <= limit and regex.fullmatch(v) is not None,
                   says)


def _whole(low: int, high: int, unit: str = "") -> Allowed:
    return Allowed(lambda v: low <= v <= high, f"a whole number from {low} to {high}{unit}")


def _seconds(low: float, high: float) -> Allowed:
    return Allowed(lambda v: math.isfinite(v) and low < v <= high,
                   f"a number of seconds above {low:g} and at most {high:g}")


def _each(item: Allowed) -> Allowed:
    """A list whose every item passes ``item``."""
    return Allowed(lambda v: len(v) <= 1000 and all(item.test(x) for x in v),
                   f"a list (at most 1000 items) of {item.says}")


_TEXT = Allowed(_one_line(), f"one line of text (at most {MAX_TEXT} characters)")
_PATH = Allowed(lambda v: _one_line(4096)(v) and v != "", "a file path (one line, not empty)")
_RULE = _pattern(_RULE_ID, "a rule id or dotted id prefix (e.g. arm64.sysreg)", 200)
_GLOB = Allowed(lambda v: _one_line(1000)(v) and v != "", "a path glob (e.g. arch/arm64/kvm/hyp/**)")
_URL_ALLOWED = _pattern(_URL, "an http:// or https:// URL with a host", 2000)


def _compiles(value: Any) -> bool:
    if not _one_line(1000)(value):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


#: Every key of config.yaml and what it allows beyond its type.
ALLOWED: dict[str, Allowed] = {
    "rules.paths": _each(_PATH),
    "rules.select": _each(_RULE),
    "rules.ignore": _each(_RULE),
    "rules.min-confidence": _choice(*_CONFIDENCES),
    "rules.per-path-ignores": Allowed(
        lambda v: len(v) <= 1000 and all(_GLOB.test(glob) and _each(_RULE).test(ids) for glob, ids in v),
        "a mapping of path globs to lists of rule ids"),
    "rules.severity-overrides": Allowed(
        lambda v: len(v) <= 1000 and all(_RULE.test(rule) and sev in _SEVERITIES for rule, sev in v),
        "a mapping of rule ids to one of " + ", ".join(_SEVERITIES)),
    "context.hyp-paths": _each(_GLOB),
    "context.vhe-paths": _each(_GLOB),
    "context.hyp-sections": _each(_pattern(re.compile(r"[A-Za-z0-9_.$]+"), "a section name", 200)),
    "context.nvhe-defines": _each(_pattern(re.compile(r"[A-Za-z_][A-Za-z0-9_]*"), "a C macro name", 200)),
    "context.vhe-defines": _each(_pattern(re.compile(r"[A-Za-z_][A-Za-z0-9_]*"), "a C macro name", 200)),
    "context.kernel": _pattern(_KERNEL, "a kernel version written as a string, e.g. '5.10' or 'v6.1'", 40),
    "context.capabilities": Allowed(lambda v: len(v) <= 100, "a list of at most 100 {what, kernel, path, added} mappings"),
    "context.capabilities[].what": Allowed(lambda v: _one_line(200)(v) and v.strip() != "",
                                           "what the patch brings in (one line, not empty)"),
    "context.capabilities[].kernel": _pattern(_KERNEL, "a kernel version written as a string, e.g. '5.12'", 40),
    "context.capabilities[].path": _GLOB,
    "context.capabilities[].added": Allowed(_compiles, "a regular expression (one line; empty: any added line)"),
    "output.format": _choice(*_FORMATS),
    "output.fail-on": _choice(*_SEVERITIES),
    "bot.name": Allowed(lambda v: _one_line(200)(v) and v.strip() != "", "a name (one line, at most 200 characters)"),
    "bot.email": _pattern(_ADDRESS, "an e-mail address (user@example.org)", 254),
    "bot.reports-to": Allowed(lambda v: v == "" or _ADDRESS.fullmatch(v) is not None or _URL_ALLOWED.test(v),
                              "empty, an e-mail address or an http(s) URL"),
    "bot.docs-url": Allowed(lambda v: v == "" or _URL_ALLOWED.test(v), "empty, or " + _URL_ALLOWED.says),
    "bot.min-confidence": _choice(*_CONFIDENCES),
    "bot.min-severity": _choice(*_SEVERITIES),
    "outbox.path": _PATH,
    "outbox.database": _PATH,
    "smtp.host": _pattern(_HOST, "a host name or address", 253),
    "smtp.port": _whole(1, 65535),
    "smtp.security": _choice(*_SECURITY),
    "smtp.allow-plaintext-auth": Allowed(lambda v: True, "true or false"),
    "smtp.user-env": _pattern(_ENV_NAME, "an environment variable name (letters, digits, _)", 200),
    "smtp.password-env": _pattern(_ENV_NAME, "an environment variable name (letters, digits, _)", 200),
    "smtp.timeout": _seconds(0, 600),
    "smtp.opt-in-lists": _each(_pattern(_ADDRESS, "list addresses (list@example.org)", 254)),
    "smtp.max-per-hour": _whole(1, 1000),
    "lore.base-url": _URL_ALLOWED,
    "lore.mirrors": _each(_URL_ALLOWED),
    "lore.connect-timeout": _seconds(0, 300),
    "lore.read-timeout": _seconds(0, 600),
    "lore.request-deadline": _seconds(0, 3600),
    "lore.max-download-bytes": _whole(1024, 1024 ** 3, " (bytes)"),
    "lore.max-response-bytes": _whole(1024, 1024 ** 3, " (bytes)"),
    "watch.queries": Allowed(lambda v: 1 <= len(v) <= 100, "a list of 1 to 100 {list, query} mappings"),
    "watch.queries[].list": _pattern(_LIST_NAME, "a list name as lore spells it (e.g. kvmarm)", 100),
    "watch.queries[].query": Allowed(lambda v: _one_line(2000)(v) and v.strip() != "",
                                     "a public-inbox search query (one line, not empty)"),
    "watch.interval": _whole(60, 7 * 86400, " seconds (polls are never more frequent than a minute)"),
    "watch.poll-deadline": _whole(10, 86400, " seconds"),
    "watch.series-timeout": _whole(0, 30 * 86400, " seconds"),
    "watch.initial-lookback": _whole(0, 365 * 86400, " seconds"),
    "watch.state": _PATH,
    "watch.maildir": _PATH,
}


def allowed_for(path: str) -> Allowed | None:
    """The entry for a key path as the loader writes it (``watch.queries[0].list``
    is ``watch.queries[].list``)."""
    return ALLOWED.get(re.sub(r"\[\d+\]", "[]", path).replace("_", "-"))
