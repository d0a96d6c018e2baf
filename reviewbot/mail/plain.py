"""Read a plain mail message without the :mod:`email` package.

Importing :mod:`email` with the policy :mod:`reviewbot.mail.parse` parses with
costs some 24 ms, a quarter of a one-patch ``reviewbot check``.  Most
patches are plain: ASCII headers without encoded words, address lists of
``Name <addr>`` and bare addresses, a canonical ``Date:``, one text/plain
body in 7bit or 8bit.  :func:`read_plain` reads exactly those and returns
the :class:`Message` the email package gives; for anything else it returns
None and the email package reads the message.  ``tests/test_mail_fast.py``
holds the two readers equal, and ``bench/mail_verify.py`` does over whole
list archives.
"""

from __future__ import annotations

import re
from datetime import date

from reviewbot.model import Message

#: Where a diff starts in a message body: what makes a message a patch.
DIFF_START = re.compile(r"^(diff --git |--- (a/|/dev/null)|Index: )", re.MULTILINE)

# One header line as the email package's feed parser accepts it; the
# fast reader also refuses any byte outside printable ASCII and tabs.
_HEADER = re.compile(r"([\x21-\x39\x3b-\x7e]+):[ \t]*")
_NOT_ASCII = re.compile(rb"[^\t\n\x20-\x7e]")
# Headers the reader decodes; the others are kept raw, as the email package keeps them.
_DECODED = ("subject", "from", "to", "cc", "reply-to", "date", "message-id", "in-reply-to",
            "references", "list-id", "content-type", "content-transfer-encoding")
# A Message-ID in brackets; no blank or control character (a line break in
# one would end up in the In-Reply-To of a reply).
_MSGID = re.compile(r"<([^<>\s\x00-\x1f\x7f]+)>")
_BARE_MSGID = re.compile(r"[^<>\s\x00-\x1f\x7f]+")

# Address-list entries: a name of plain words or a quoted name without
# escapes, then an address in angle brackets; or an address alone.
# The domain is dot-atoms: the email package drops a@.b and a@b..c.
_ADDR = r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_ENTRY = re.compile(rf'\s*(?:(?:([A-Za-z0-9_-]+(?:\s+[A-Za-z0-9_-]+)*)|"([^"\\\n]*)")?\s*<({_ADDR})>|({_ADDR}))\s*')
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')  # a name with one of these is written quoted

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(r"(?:(\w{3}), +)?(\d\d?) +(\w{3}) +(\d{4}) +([01]\d|2[0-3]):([0-5]\d):([0-5]\d)"
                   r" +([+-])([01]\d|2[0-3])([0-5]\d)(?: +\([A-Za-z]+\))?")

_CONTENT_TYPE = re.compile(r'text/plain(?:; *[a-z-]+=(?:"[\w.-]*"|[\w.-]+))* *;? *', re.IGNORECASE)
_CHARSET = re.compile(r'; *charset=(?:"([\w.-]*)"|([\w.-]+))', re.IGNORECASE)
_PLAIN_CTE = ("", "7bit", "8bit")


def read_plain(raw: bytes, *, source: str, body_line: int) -> Message | None:
    """The message in ``raw`` (``\\n`` line ends), or None when it is not
    plain enough to read without the email package."""
    head, sep, body_bytes = raw.partition(b"\n\n")
    if not sep or _NOT_ASCII.search(head):
        return None
    headers = _headers(head.decode("ascii"))
    if headers is None:
        return None
    first: dict[str, str] = {}
    listed: dict[str, list[str]] = {"to": [], "cc": [], "reply-to": []}  # every such header, in order
    for name, value in headers:
        lower = name.lower()
        if lower in _DECODED and "=?" in value:
            return None  # an encoded word
        first.setdefault(lower, value.strip())
        if lower in listed:
            listed[lower].append(value)
    charset = _plain_text_charset(first.get("content-type"), first.get("content-transfer-encoding", ""))
    sender = _address_list([first["from"]]) if "from" in first else ()
    if charset is None or sender is None or len(sender) > 1:
        return None
    addresses: dict[str, tuple[str, ...]] = {}
    for name, values in listed.items():
        found = _address_list(values)
        if found is None:
            return None
        addresses[name] = found
    mail_date = first.get("date")
    if mail_date is not None and (mail_date := _date(mail_date)) is None:
        return None
    msgid = first.get("message-id", "")
    if msgid and not _MSGID.fullmatch(msgid):
        return None
    list_id = first.get("list-id", "")
    return Message(
        msgid=first_msgid(msgid),
        subject=" ".join(first.get("subject", "").split()),
        sender=sender[0] if sender else "",
        to=addresses["to"],
        cc=addresses["cc"],
        reply_to=addresses["reply-to"],
        date=mail_date,
        in_reply_to=first_msgid(first.get("in-reply-to", "")),
        references=msgids(first.get("references", "")),
        body=decode_body(body_bytes, charset),
        body_line=body_line,
        source=source,
        list_id=first_msgid(list_id) or (" ".join(list_id.split()) or None),
        headers=tuple((name, " ".join(value.split())) for name, value in headers),
    )


def _plain_text_charset(content_type: str | None, encoding: str) -> str | None:
    """The charset of a text/plain body in 7bit or 8bit, or None for any
    other type or transfer encoding."""
    if encoding.strip().lower() not in _PLAIN_CTE:
        return None
    if content_type is None:
        return "utf-8"
    if not _CONTENT_TYPE.fullmatch(content_type):
        return None
    found = _CHARSET.search(content_type)
    if not found:
        return "utf-8"
    return (found.group(1) if found.group(1) is not None else found.group(2)).lower() or "utf-8"


def _headers(head: str) -> list[tuple[str, str]] | None:
    """``(name, unfolded value)`` in order, or None for a line the feed
    parser would treat specially (a misplaced envelope ``From ``, a line
    that is no header, a continuation without a header)."""
    lines = head.split("\n")
    if lines[0].startswith("From "):
        lines = lines[1:]  # the mbox envelope line
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not headers or not line.strip():
                return None
            name, value = headers[-1]
            headers[-1] = (name, value + line)
            continue
        match = _HEADER.match(line)
        if match is None:
            return None
        headers.append((match.group(1), line[match.end():]))
    return headers or None


def _address_list(values: list[str]) -> tuple[str, ...] | None:
    """The addresses of some address headers as the email package writes
    them back (``Name <addr>``, ``"Last, First" <addr>`` or ``addr``), or
    None when an entry is of another shape."""
    result = []
    for value in values:
        position = 0
        while True:
            match = _ENTRY.match(value, position)
            if match is None:
                return None
            words, quoted, address, bare = match.groups()
            name = " ".join((words or quoted or "").split())
            if quoted and name != quoted:
                return None  # spaces of its own inside quotes: not worth mirroring
            if not name:
                result.append(address or bare)
            elif _SPECIALS.search(name):
                result.append(f'"{name}" <{address}>')
            else:
                result.append(f"{name} <{address}>")  # the email package drops needless quotes
            position = match.end()
            if position == len(value):
                break
            if value[position] != ",":
                return None
            position += 1
    return tuple(result)


def _date(value: str) -> str | None:
    """A ``Date:`` as the email package writes it back (``Wed, 01 Nov 2017
    18:20:52 +0000``: weekday from the date, day in two digits, comment
    dropped), or None when it is not of the common shape."""
    match = _DATE.fullmatch(value)
    if match is None:
        return None
    weekday, day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    if month not in _MONTHS or (weekday is not None and weekday not in _DAYS):
        return None
    try:
        when = date(int(year), _MONTHS.index(month) + 1, int(day))
    except ValueError:
        return None
    if when.year < 1900:
        return None
    return (f"{_DAYS[when.weekday()]}, {when.day:02d} {month} {when.year:04d} "
            f"{hour}:{minute}:{second} {sign}{zone_hours}{zone_minutes}")


def first_msgid(value: str) -> str | None:
    """The first ``<id>`` of a header, without the brackets; else the
    header itself, stripped, when it could be an id; else None."""
    match = _MSGID.search(value or "")
    if match:
        return match.group(1)
    value = (value or "").strip()
    return value if _BARE_MSGID.fullmatch(value) else None


def msgids(value: str) -> tuple[str, ...]:
    """Every ``<id>`` of a header (References), without the brackets."""
    return tuple(_MSGID.findall(value))


def decode_body(payload: bytes, charset: str) -> str:
    """A body's text: in its charset, else UTF-8, else Latin-1 (which
    always decodes)."""
    for encoding in (charset, "utf-8"):
        try:
            return payload.decode(encoding).replace("\r\n", "\n")
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1").replace("\r\n", "\n")
