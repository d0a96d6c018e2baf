"""Bytes of mail to :class:`Message` s: mboxes split, each message read
by :mod:`reviewbot.mail.plain` or, when it is too intricate for that, by
:mod:`reviewbot.mail.email_path`.  Pure: it gets bytes and a name for
them, and returns values or raises :class:`MailParseError`.  Accepts an
mbox (mboxo or mboxrd, as ``git format-patch --stdout`` and lore write them),
a single message (``.eml``, one ``format-patch`` file), or a plain diff.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewbot.errors import MailParseError
from reviewbot.mail.plain import decode_body, read_plain
from reviewbot.model import Message

_MBOX_FROM = re.compile(rb"^From \S+")
# git format-patch's separator is unambiguous even without a blank line before it.
_FORMAT_PATCH_FROM = re.compile(rb"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$")
_MBOXRD_QUOTED = re.compile(rb"^>+From ", re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:[ \t]?")


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
    for first_line, start, end in mbox_spans(data):
        yield first_line, _unquote(data[start:end])


def mbox_spans(data: bytes) -> Iterator[tuple[int, int, int]]:
    """``(first_line, start, end)`` of each message of an mbox buffer: the
    message is ``data[start:end]`` (still mboxrd-quoted: see
    :func:`mbox_message`), ``first_line`` as :func:`split_mbox` gives it.
    For readers that keep offsets instead of copies (``backtest``);
    ``data`` may be any buffer regexes read, such as an mmap of the file."""
    starts = [m for m in _SEPARATOR.finditer(data)
              if m.start() == 0 or data[m.start() - 2: m.start()] == b"\n\n"
              or data[m.start() - 3: m.start()] == b"\n\r\n" or _FORMAT_PATCH_FROM.match(m.group(0))]
    line = 1
    position = 0
    for index, match in enumerate(starts):
        line += (data.count(b"\n", position, match.end()) if isinstance(data, bytes)
                 else data[position:match.end()].count(b"\n"))  # an mmap has no count()
        position = match.end()
        end = starts[index + 1].start() if index + 1 < len(starts) else len(data)
        yield line + 1, match.end() + 1, end


def mbox_message(span: bytes) -> bytes:
    """The message of one :func:`mbox_spans` span, mboxrd quoting undone."""
    return _unquote(span.replace(b"\r\n", b"\n"))


_SEPARATOR = re.compile(rb"^From \S+[^\n]*$", re.MULTILINE)


def _unquote(raw: bytes) -> bytes:
    return _MBOXRD_QUOTED.sub(lambda m: m.group(0)[1:], raw)


# --- one message ----------------------------------------------------------------


def parse_message(raw: bytes, *, source: str = "<input>", first_line: int = 1) -> Message:
    """Parse one RFC 2822 message.  Raises nothing but MailParseError, which
    names the message (``source``) and what is wrong with it."""
    raw = raw.replace(b"\r\n", b"\n")
    head, _ = split_head(raw, source)
    body_line = first_line + head.count(b"\n") + 2
    longest = max(_HEADER_START.split(head), key=len)
    if len(longest) > MAX_HEADER:
        name = longest.split(b":", 1)[0][:40].decode("ascii", "replace")
        raise MailParseError(source, f"its {name}: header is {len(longest):,} characters long "
                                     f"(at most {MAX_HEADER:,} are read)")
    try:
        message = read_plain(raw, source=source, body_line=body_line) or _with_email(raw, source, body_line)
    except MailParseError:
        raise
    except Exception as exc:  # the email package raises many kinds on hostile mail
        raise MailParseError(source, f"cannot parse the message: {type(exc).__name__}: {exc}") from exc
    if message.msgid is not None and len(message.msgid) > MAX_MSGID:
        raise MailParseError(source, f"its Message-ID is {len(message.msgid):,} characters long; no reply "
                                     f"could refer to it (a header line holds {MAX_MSGID})")
    return message


#: The longest header (unfolded) read: the email package's header parsers
#: slow down faster than linearly on longer ones (bench/bench_redos.py).
MAX_HEADER = 16_384
_HEADER_START = re.compile(rb"\n(?![ \t])")
#: The longest Message-ID taken: what one header line (RFC 5322) can hold.
MAX_MSGID = 998


def split_head(raw: bytes, source: str = "<input>") -> tuple[bytes, bytes]:
    """The header block and the body of a message (``\\n`` line ends);
    MailParseError when it has no header block."""
    head, sep, body = raw.partition(b"\n\n")
    if not sep or not _HEADER_LINE.match(head.lstrip(b"\n")):
        raise MailParseError(source, "not a mail message: no header block")
    return head, body


def parse_input(data: bytes, *, source: str) -> tuple[list[Message], list[MailParseError]]:
    """Every message in ``data`` (an mbox, one message, or a bare diff, which
    becomes a message without headers).  Messages that cannot be parsed are
    returned as errors, so the others are still reviewed."""
    if not data.strip():
        raise MailParseError(source, "empty input")
    mail = looks_like_mail(data)
    if b"\0" in data[:8192] and not mail:  # in mail, a NUL is the problem of one message
        raise MailParseError(source, "binary data, not a patch or a mail")
    if not data.lstrip(b"\r\n").startswith(b"From ") and (page := _archive_page(data, source)):
        return [page], []  # a list-archive page saved as text
    if not mail:
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


# The email package and the archive-page reader load only when a message
# needs them: a plain patch is read without either (start-up, bench/README.md).
def _with_email(raw: bytes, source: str, body_line: int) -> Message:
    from reviewbot.mail.email_path import parse_with_email

    return parse_with_email(raw, source, body_line)


def _archive_page(data: bytes, source: str) -> Message | None:
    from reviewbot.mail.archive_page import read_archive_page

    return read_archive_page(data, source)
