"""Bytes of mail to :class:`Message` s, and messages to patches and series.

The only module that touches :mod:`email`, and only for messages that
:mod:`reviewbot.mail.plain` finds too intricate to read itself.  Pure: it gets bytes and a name
for them, and returns values or raises :class:`MailParseError`.  Accepts an
mbox (mboxo or mboxrd, as ``git format-patch --stdout`` and lore write them),
a single message (``.eml``, one ``format-patch`` file), or a plain diff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from reviewbot.mail.archive_page import read_archive_page
from reviewbot.mail.diff import parse_patch
from reviewbot.errors import DiffParseError, MailParseError
from reviewbot.mail.plain import decode_body, first_msgid, read_plain
from reviewbot.model import Message, Patch, Series, SubjectTags

if TYPE_CHECKING:
    from email.message import EmailMessage

_MBOX_FROM = re.compile(rb"^From \S+")
# git format-patch's separator is unambiguous even without a blank line before it.
_FORMAT_PATCH_FROM = re.compile(rb"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$")
_MBOXRD_QUOTED = re.compile(rb"^>+From ", re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:[ \t]?")
_SUBJECT_TAGS = re.compile(r"^\s*\[([^\]]*)\]\s*")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|fwd?)\s*:", re.IGNORECASE)
_VERSION = re.compile(r"^v(\d+)$", re.IGNORECASE)
_COUNTER = re.compile(r"^(\d+)/(\d+)$")
_MSGID = re.compile(r"<([^<>\s]+)>")
_DIFF_START = re.compile(r"^(diff --git |--- (a/|/dev/null)|Index: )", re.MULTILINE)
_BASE_COMMIT = re.compile(r"^base-commit:\s*([0-9a-f]{7,40})\s*$", re.MULTILINE)


# --- splitting ----------------------------------------------------------------


def looks_like_mail(data: bytes) -> bool:
    """True when ``data`` starts like an mbox or a mail message (not a bare diff)."""
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0]
    if _MBOX_FROM.match(first):
        return True
    return bool(_HEADER_LINE.match(first)) and not first.startswith((b"diff ", b"Index:", b"commit "))


def split_mbox(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield ``(first_line, raw)`` for each message of an mbox, without the
    ``From `` separator line and with mboxrd ``>From`` quoting undone.
    ``first_line`` is the 1-based line of the message's first header.
    Works on the buffer with one regex scan (no list of lines: an archive
    of hundreds of megabytes must not cost gigabytes)."""
    data = data.replace(b"\r\n", b"\n")
    starts = [m for m in _SEPARATOR.finditer(data)
              if m.start() == 0 or data[m.start() - 2: m.start()] == b"\n\n" or _FORMAT_PATCH_FROM.match(m.group(0))]
    line = 1
    position = 0
    for index, match in enumerate(starts):
        line += data.count(b"\n", position, match.end())
        position = match.end()
        body_start = match.end() + 1
        end = starts[index + 1].start() if index + 1 < len(starts) else len(data)
        yield line + 1, _unquote(data[body_start:end])


_SEPARATOR = re.compile(rb"^From \S+[^\n]*$", re.MULTILINE)


def _unquote(raw: bytes) -> bytes:
    return _MBOXRD_QUOTED.sub(lambda m: m.group(0)[1:], raw)


# --- one message ----------------------------------------------------------------


def parse_message(raw: bytes, *, source: str = "<input>", first_line: int = 1) -> Message:
    """Parse one RFC 2822 message; MailParseError if it has no headers."""
    raw = raw.replace(b"\r\n", b"\n")
    head, sep, _ = raw.partition(b"\n\n")
    if not sep or not _HEADER_LINE.match(head.lstrip(b"\n")):
        raise MailParseError(source, "not a mail message: no header block")
    body_line = first_line + head.count(b"\n") + 2
    return read_plain(raw, source=source, body_line=body_line) or _parse_with_email(raw, source, body_line)


def _email_policy() -> Any:
    """One policy for every message: UTF-8, 8-bit safe, no line folding."""
    global _POLICY
    if _POLICY is None:
        import email.policy
        _POLICY = email.policy.default.clone(utf8=True, cte_type="8bit", max_line_length=None)
    return _POLICY


_POLICY: Any = None


def _parse_with_email(raw: bytes, source: str, body_line: int) -> Message:
    """What :func:`parse_message` gives, read by the email package."""
    from email.parser import BytesParser

    try:
        msg = BytesParser(policy=_email_policy()).parsebytes(raw)
    except Exception as exc:  # the email package raises many kinds
        raise MailParseError(source, f"cannot parse the message: {exc}") from exc
    return Message(
        msgid=first_msgid(_header(msg, "Message-ID")),
        subject=" ".join(_header(msg, "Subject").split()),
        sender=_header(msg, "From"),
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        reply_to=_addresses(msg, "Reply-To"),
        date=_header(msg, "Date") or None,
        in_reply_to=first_msgid(_header(msg, "In-Reply-To")),
        references=tuple(_MSGID.findall(_header(msg, "References"))),
        body=_text_body(msg, source),
        body_line=body_line,
        source=source,
        list_id=first_msgid(_header(msg, "List-Id")) or (_header(msg, "List-Id") or None),
        # raw, unfolded: decoding every header through the header registry
        # doubles the cost of reading an archive, and only a few are needed
        headers=tuple((k, " ".join(_safe_str(v).split())) for k, v in msg.raw_items()),
    )


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header so broken the policy cannot even decode it
        value = msg.get_all(name, failobj=[""])[0] if hasattr(msg, "get_all") else ""
    return _safe_str(value or "").strip()


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return ""


def _addresses(msg: EmailMessage, name: str) -> tuple[str, ...]:
    import email.utils

    values = [_safe_str(v) for v in (msg.get_all(name) or [])]
    result = []
    for display, address in email.utils.getaddresses(values):
        if not address:
            continue
        result.append(email.utils.formataddr((display, address)) if display else address)
    return tuple(result)


def _text_body(msg: EmailMessage, source: str) -> str:
    """The text/plain body, decoded whatever the transfer encoding and charset."""
    part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
    if part is None:
        raise MailParseError(source, "the message has no text/plain part")
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = _safe_str(part.get_payload()).encode("utf-8", "surrogateescape")
    return decode_body(payload, part.get_content_charset() or "utf-8")


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
    return _DIFF_START.search(message.body) is not None


def is_reply(message: Message) -> bool:
    """True for ``Re:`` subjects: a reply is never reviewed as a patch."""
    return bool(_REPLY_PREFIX.match(message.subject))


# --- messages to patches -----------------------------------------------------------


def to_patch(message: Message) -> Patch | None:
    """The patch in a message, or None when it carries no diff.  A diff that
    cannot be read gives a Patch with ``error`` set, never an exception."""
    tags = parse_subject(message.subject)
    body = message.body
    start = _DIFF_START.search(body)
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


def parse_input(data: bytes, *, source: str) -> tuple[list[Message], list[MailParseError]]:
    """Every message in ``data`` (an mbox, one message, or a bare diff, which
    becomes a message without headers).  Messages that cannot be parsed are
    returned as errors, so the others are still reviewed."""
    if not data.strip():
        raise MailParseError(source, "empty input")
    if b"\0" in data[:8192]:
        raise MailParseError(source, "binary data, not a patch or a mail")
    if not data.lstrip(b"\r\n").startswith(b"From ") and (page := read_archive_page(data, source)):
        return [page], []  # a list-archive page saved as text
    if not looks_like_mail(data):
        text = decode_body(data, "utf-8")
        return [Message(msgid=None, subject="", sender="", body=text, body_line=1, source=source)], []
    messages: list[Message] = []
    errors: list[MailParseError] = []
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0]
    chunks: Iterator[tuple[int, bytes]] = split_mbox(data) if _MBOX_FROM.match(first) else iter([(1, data)])
    current = next(chunks, None)
    number = 0
    while current is not None:
        following = next(chunks, None)  # one ahead, to know whether to number the parts
        number += 1
        first_line, raw = current
        name = source if number == 1 and following is None else f"{source}#{number}"
        try:
            messages.append(parse_message(raw, source=name, first_line=first_line))
        except MailParseError as exc:
            errors.append(exc)
        current = following
    return messages, errors


# --- series ------------------------------------------------------------------------


def assemble_series(messages: Iterable[Message]) -> tuple[list[Series], list[Patch]]:
    """Group the patches in ``messages`` into series (by revision, patch
    count and thread) in ``m/n`` order.  Cover letters attach to their
    series; replies are skipped.  Returns the series and the patches whose
    diff could not be read (they are also in their series, marked)."""
    messages = list(messages)
    # Without any threading (format-patch without --thread), the patches of
    # one revision and count belong together; with threading, the thread
    # root tells series apart.
    threaded = any(m.in_reply_to or m.references for m in messages)
    groups: dict[tuple, dict] = {}
    broken: list[Patch] = []
    by_id: dict[str, tuple] = {}
    for message in messages:
        if is_reply(message):
            continue
        tags = parse_subject(message.subject)
        patch = to_patch(message)
        if patch is None:
            if tags.is_patch and tags.index == 0:
                key = _series_key(message, tags, by_id, threaded)
                groups.setdefault(key, {"patches": [], "cover": None})["cover"] = message
                if message.msgid:
                    by_id[message.msgid] = key
            continue
        if patch.error:
            broken.append(patch)
        key = _series_key(message, tags, by_id, threaded)
        groups.setdefault(key, {"patches": [], "cover": None})["patches"].append(patch)
    series = []
    for key, group in groups.items():
        patches = sorted(group["patches"], key=lambda p: (p.tags.index or 0))
        if not patches:
            continue
        first = patches[0].tags
        series.append(Series(patches=tuple(patches), cover=group["cover"],
                             version=first.version, total=first.total))
    return series, broken


def _series_key(message: Message, tags: SubjectTags, by_id: dict, threaded: bool = True) -> tuple:
    """Patches of one series share a revision, a count and a thread root."""
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
