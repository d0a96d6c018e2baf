"""The first pass: a small record of every patch and cover letter, and the
series they make, without parsing message bodies.

Only the header block is read (Message-ID, In-Reply-To, References,
Subject, Date), and of the body a byte search says whether it carries a
diff and which paths the diff touches.  Messages whose headers or body
need decoding (encoded words, base64, quoted-printable, MIME parts) go
through :func:`reviewbot.mail.parse.parse_message`, so the index and a
full parse agree on every message (``bench/bench_backtest.py --verify``
checks this over whole archives).  Series are grouped by the mail
package's own :func:`~reviewbot.mail.parse.group_series`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from email.utils import parsedate_tz, mktime_tz

from reviewbot.backtest.sources import Raw, Source, read_all
from reviewbot.mail.parse import (
    group_series, has_diff, is_reply, parse_message, parse_subject, raw_has_diff,
)
from reviewbot.mail.plain import first_msgid
from reviewbot.model import SubjectTags
from reviewbot.records import field, record

_HEADER_NAMES = (b"message-id", b"in-reply-to", b"references", b"subject", b"date")
_NEEDS_DECODING = re.compile(rb"=\?|[^\t\n\x20-\x7e]")
_NOT_PLAIN_BODY = re.compile(rb"^content-(?:transfer-encoding:[ \t]*(?:base64|quoted-printable)"
                             rb"|type:[ \t]*(?!text/plain)[^\s;]+)", re.IGNORECASE | re.MULTILINE)
_MSGID = re.compile(r"<([^<>\s]+)>")
_DIFF_PATH = re.compile(rb"^(?:(?:\+\+\+|---) (?:[ab]/)?([^\t\n]+)|diff --git a/(\S+) b/(\S+)|Index: (\S+))$",
                        re.MULTILINE)


@record
class Entry:
    """A patch or cover letter as the index knows it.  ``source`` is the
    name a full parse gives the message (what ``group_series`` reads);
    ``origin`` the index of its :class:`Source`."""

    origin: int
    location: str
    source: str
    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    tags: SubjectTags
    cover: bool
    relevant: bool
    size: int


@record
class SeriesSpec:
    """A series to review: its cover letter and patches in order."""

    cover: Entry | None
    patches: tuple[Entry, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The cover letter (if any), then the patches."""
        return ((self.cover,) if self.cover is not None else ()) + self.patches

    @property
    def size(self) -> int:
        """Bytes of mail a worker reads for this series."""
        return sum(e.size for e in self.entries)


@record(frozen=False)
class Index:
    """What the first pass found."""

    messages: int = 0
    replies: int = 0
    covers: int = 0
    other: int = 0
    patches: int = 0
    outside: int = 0  # messages outside --since/--until
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (name, problem)
    entries: list[Entry] = field(default_factory=list)
    threaded: bool = False
    series: list[SeriesSpec] = field(default_factory=list)


@record
class Head:
    """The headers the index needs, and the body facts."""

    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    date: str | None
    diff: bool
    paths: tuple[str, ...]


def message_name(source: Source, location: str) -> str:
    """How findings and errors name a message: the source and its location."""
    return f"{source.name}:{location[:12] if source.kind == 'git' else location}"


def read_head(raw: bytes, name: str) -> Head:
    """The index's view of one message; MailParseError when a full parse
    (needed for encoded headers or bodies) fails."""
    raw = raw.replace(b"\r\n", b"\n")
    head, sep, body = raw.partition(b"\n\n")
    fields = _light_headers(head) if sep else None
    if fields is None or _NOT_PLAIN_BODY.search(head):
        message = parse_message(raw, source=name)
        diff = has_diff(message)
        body_bytes = message.body.encode("utf-8", "surrogateescape") if diff else b""
        return Head(message.msgid, message.in_reply_to, message.references, message.subject, message.date,
                    diff, _paths(body_bytes) if diff else ())
    diff = raw_has_diff(body)
    return Head(first_msgid(fields.get(b"message-id", "")), first_msgid(fields.get(b"in-reply-to", "")),
                tuple(_MSGID.findall(fields.get(b"references", ""))),
                " ".join(fields.get(b"subject", "").split()), fields.get(b"date"),
                diff, _paths(body) if diff else ())


def _light_headers(head: bytes) -> dict[bytes, str] | None:
    """The first value of each header the index needs, unfolded; None when
    one of them needs decoding (then the email package reads it)."""
    found: dict[bytes, bytes] = {}
    name = None
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if name is not None:
                found[name] += line
            continue
        colon = line.find(b":")
        lower = line[:colon].lower() if colon > 0 else b""
        name = lower if lower in _HEADER_NAMES and lower not in found else None
        if name is not None:
            found[name] = line[colon + 1:]
    if any(_NEEDS_DECODING.search(value) for value in found.values()):
        return None
    return {key: value.decode("ascii").strip() for key, value in found.items()}


def _paths(body: bytes) -> tuple[str, ...]:
    """Every path the diff names (a superset of what the diff parser finds)."""
    paths = set()
    for match in _DIFF_PATH.finditer(body):
        for group in match.groups():
            if group:
                paths.add(group.decode("utf-8", "replace").strip().strip('"'))
    return tuple(sorted(paths))


def mail_time(date: str | None) -> int | None:
    """Seconds since the epoch of a ``Date:`` header, None when unreadable."""
    if not date:
        return None
    try:
        parsed = parsedate_tz(date)
        return mktime_tz(parsed) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


def build_index(sources: list[Source], relevant: Callable[[Iterable[str]], bool], *,
                since: int | None = None, until: int | None = None,
                progress: Callable[[int], None] | None = None) -> Index:
    """Read every message of ``sources`` and assemble the series.
    ``relevant(paths)`` says whether a patch touching these paths can have
    findings; ``since``/``until`` (seconds, until exclusive) keep messages
    by their date (the mail's ``Date:``, else the commit's)."""
    from reviewbot.errors import MailParseError

    index = Index()
    for origin, source in enumerate(sources):
        for raw in read_all(source):
            index.messages += 1
            if progress is not None and index.messages % 500 == 0:
                progress(index.messages)
            _add(index, origin, source, raw, relevant, since, until, MailParseError)
    if progress is not None:
        progress(index.messages)
    index.series = assemble(index.entries, index.threaded)
    return index


def _add(index: Index, origin: int, source: Source, raw: Raw, relevant: Callable, since: int | None,
         until: int | None, parse_error: type) -> None:
    name = message_name(source, raw.location)
    try:
        head = read_head(raw.data, name)
    except parse_error as exc:
        index.unreadable.append((name, exc.problem))
        return
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop an archive
        index.unreadable.append((name, f"cannot parse: {type(exc).__name__}: {exc}"))
        return
    if since is not None or until is not None:
        when = mail_time(head.date) or raw.time
        if when is None or (since is not None and when < since) or (until is not None and when >= until):
            index.outside += 1
            return
    index.threaded = index.threaded or bool(head.in_reply_to or head.references)
    if is_reply(head):
        index.replies += 1
        return
    tags = parse_subject(head.subject)
    cover = not head.diff and tags.is_patch and tags.index == 0
    if not head.diff:
        if cover:
            index.covers += 1
        else:
            index.other += 1
            return
    else:
        index.patches += 1
    index.entries.append(Entry(origin, raw.location, name, head.msgid, head.in_reply_to, head.references,
                               head.subject, tags, cover, bool(head.diff and relevant(head.paths)),
                               len(raw.data)))


def assemble(entries: list[Entry], threaded: bool) -> list[SeriesSpec]:
    """The series of the archive, grouped exactly as ``review`` groups them."""
    items = [(entry, entry.tags, None if entry.cover else entry) for entry in entries]
    return [SeriesSpec(cover[0] if cover else None, tuple(p for _, _, p in patches))
            for cover, patches in group_series(items, threaded)]


def relevance(rule_sets: Iterable) -> Callable[[Iterable[str]], bool]:
    """``relevant(paths)``: whether any rule of the rule sets may find
    something in a patch touching ``paths``, by the rules' languages and
    path scopes (as the engine decides which files a rule runs on).  A
    commit-message rule makes every patch relevant."""
    from reviewbot.analysis.context import LANG_ASM, LANG_C, language_of, path_matches

    scopes: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = []
    for rules in rule_sets:
        for rule in rules:
            if "commit-msg" in rule.languages:
                return lambda paths: True
            scopes.append((rule.languages, rule.scope.include, rule.scope.exclude))

    def relevant(paths: Iterable[str]) -> bool:
        for path in paths:
            language = language_of(path)
            for languages, include, exclude in scopes:
                # a C header's assembly blocks are read as assembly
                if not (language in languages or (language == LANG_C and path.endswith(".h")
                                                   and LANG_ASM in languages)):
                    continue
                if include and not path_matches(path, include):
                    continue
                if exclude and path_matches(path, exclude):
                    continue
                return True
        return False

    return relevant
