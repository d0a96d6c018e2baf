"""Messages to patches and series: subject tags (``[PATCH vN m/n]``),
replies and cover letters, the diff and notes of a patch, and series
assembly by revision, count and thread.  Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from reviewbot.errors import DiffParseError
from reviewbot.mail.diff import parse_patch
from reviewbot.mail.plain import DIFF_START
from reviewbot.model import Message, Patch, Series, SubjectTags

_SUBJECT_TAGS = re.compile(r"^\s*\[([^\]]*)\]\s*")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|fwd?)\s*:", re.IGNORECASE)
_VERSION = re.compile(r"^v(\d+)$", re.IGNORECASE)
_COUNTER = re.compile(r"^(\d+)/(\d+)$")
_BASE_COMMIT = re.compile(r"^base-commit:\s*([0-9a-f]{7,40})\s*$", re.MULTILINE)

# --- subjects -------------------------------------------------------------------


def parse_subject(subject: str) -> SubjectTags:
    """Read the bracketed tags of a patch subject.

    >>> parse_subject("[RFC PATCH v3 01/37] KVM: arm64: foo").index
    1
    """
    prefixes: list[str] = []
    version, index, total = 1, None, None
    rest = subject
    while True:
        match = _SUBJECT_TAGS.match(rest)
        if not match:
            break
        rest = rest[match.end():]
        for word in match.group(1).replace(",", " ").split():
            if (v := _VERSION.match(word)) is not None:
                version = int(v.group(1))
            elif (c := _COUNTER.match(word)) is not None:
                index, total = int(c.group(1)), int(c.group(2))
            else:
                prefixes.append(word)
    return SubjectTags(title=rest.strip(), prefixes=tuple(prefixes), version=version,
                       index=index, total=total)


def has_diff(message: Message) -> bool:
    """True when the message's body carries a diff (a patch, not a note)."""
    return DIFF_START.search(message.body) is not None


_DIFF_START_RAW = re.compile(DIFF_START.pattern.encode(), re.MULTILINE)


def raw_has_diff(body: bytes) -> bool:
    """:func:`has_diff` on the undecoded body of a 7bit/8bit text/plain
    message (the pattern is ASCII, so the answer is the same)."""
    return _DIFF_START_RAW.search(body) is not None


def is_reply(message: Message) -> bool:
    """True for ``Re:`` subjects: a reply is never reviewed as a patch."""
    return is_reply_subject(message.subject)


def is_reply_subject(subject: str) -> bool:
    """:func:`is_reply` on a subject alone."""
    return bool(_REPLY_PREFIX.match(subject))


# --- messages to patches -----------------------------------------------------------


def to_patch(message: Message) -> Patch | None:
    """The patch in a message, or None when it carries no diff.  A diff that
    cannot be read gives a Patch with ``error`` set, never an exception."""
    tags = parse_subject(message.subject)
    body = message.body
    start = DIFF_START.search(body)
    if start is None:
        return None
    head = body[: start.start()]
    commit_message, notes = _split_notes(head)
    diff_text = body[start.start():]
    diff_first_line = message.body_line + body.count("\n", 0, start.start())
    base = _BASE_COMMIT.search(body)
    try:
        files = parse_patch(diff_text, source=message.source, first_line=diff_first_line)
        error = None
    except DiffParseError as exc:
        files, error = (), exc.problem
    return Patch(
        message=message,
        tags=tags,
        commit_message=commit_message.strip("\n"),
        files=files,
        notes=notes,
        base_commit=base.group(1) if base else None,
        error=error,
    )


def _split_notes(head: str) -> tuple[str, str]:
    """Commit message and the notes between ``---`` and the diff."""
    match = re.search(r"^---\s*$", head, re.MULTILINE)
    if match is None:
        return head, ""
    return head[: match.start()], head[match.end():]


# --- series ------------------------------------------------------------------------


def assemble_series(messages: Iterable[Message]) -> tuple[list[Series], list[Patch]]:
    """Group the patches in ``messages`` into series (by revision, patch
    count and thread) in ``m/n`` order.  Cover letters attach to their
    series; replies are skipped.  Returns the series and the patches whose
    diff could not be read (they are also in their series, marked)."""
    messages = list(messages)
    items: list[tuple[Message, SubjectTags, Patch | None]] = []
    broken: list[Patch] = []
    for message in messages:
        if is_reply(message):
            continue
        tags = parse_subject(message.subject)
        patch = to_patch(message)
        if patch is None:
            if tags.is_patch and tags.index == 0:
                items.append((message, tags, None))
            continue
        if patch.error:
            broken.append(patch)
        items.append((message, tags, patch))
    series = []
    for cover, patches in group_series(items, is_threaded(messages)):
        first = patches[0][1]
        series.append(Series(patches=tuple(p for _, _, p in patches), cover=cover[0] if cover else None,
                             version=first.version, total=first.total))
    return series, broken


def is_threaded(messages: Iterable[Any]) -> bool:
    """True when any message carries threading headers (format-patch
    without --thread gives none; then the subject tags alone group)."""
    return any(m.in_reply_to or m.references for m in messages)


def group_series(items: Iterable[tuple[Any, SubjectTags, Any]], threaded: bool) -> list[tuple[Any, list]]:
    """The series in ``items``: ``(message, tags, patch)`` in mail order,
    ``patch`` None for a cover letter; ``message`` is anything with
    ``msgid``, ``source``, ``in_reply_to`` and ``references`` (a
    :class:`Message`, or ``backtest``'s light index entry).  Returns
    ``(cover item or None, patch items in m/n order)`` per series with
    patches, in the order series were first seen."""
    groups: dict[tuple, dict] = {}
    by_id: dict[str, tuple] = {}
    for item in items:
        message, tags, patch = item
        key = series_key(message, tags, patch is None, by_id, threaded)
        group = groups.setdefault(key, {"patches": [], "cover": None})
        if patch is None:
            group["cover"] = item  # the last cover letter of a series is its cover
        else:
            group["patches"].append(item)
    return [(group["cover"], sorted(group["patches"], key=lambda p: (p[1].index or 0)))
            for group in groups.values() if group["patches"]]


class SeriesKeys(Protocol):
    """Where :func:`series_key` keeps the key of each message seen so far
    (a dict; ``backtest`` keeps them on disk)."""

    def __contains__(self, msgid: object) -> bool: ...
    def __getitem__(self, msgid: str) -> tuple: ...
    def __setitem__(self, msgid: str, key: tuple) -> None: ...


def series_key(message: Any, tags: SubjectTags, cover: bool, by_id: SeriesKeys, threaded: bool = True) -> tuple:
    """The series a message belongs to, for messages taken in mail order;
    ``by_id`` is what the earlier ones left (and this one adds to it).
    Patches of one series share a revision, a count and a thread root.
    Without any threading (format-patch without --thread), the patches of
    one revision and count belong together; with threading, the thread
    root tells series apart."""
    key = _series_key(message, tags, by_id, threaded)
    if cover and message.msgid:
        by_id[message.msgid] = key
    return key


def _series_key(message: Message, tags: SubjectTags, by_id: SeriesKeys, threaded: bool = True) -> tuple:
    if tags.total is None:
        return ("single", message.msgid or message.source)
    for parent in (message.in_reply_to, *message.references):
        if parent and parent in by_id and by_id[parent][:2] == (tags.version, tags.total):
            return by_id[parent]  # a v2 sent in reply to the v1 is a series of its own
    root = message.references[0] if message.references else message.in_reply_to
    if root is None and threaded:
        root = message.msgid  # a message that starts a thread is its own root
    key = (tags.version, tags.total, root or "")
    if message.msgid:
        by_id[message.msgid] = key
    return key
