"""A list-archive web page saved as text: how people paste a thread.  Pure.

Two forms are read:

- pipermail (lists.infradead.org, lists.cs.columbia.edu)::

      [PATCH 01/37] KVM: arm64: Avoid storing the vcpu pointer on the stack
      Christoffer Dall
      cdall at linaro.org
      Wed Nov 29 10:20:52 PST 2017
      <body>
      More information about the linux-arm-kernel
      mailing list

- lore.kernel.org (public-inbox): ``From:``/``To:``/``Subject:``/``Date:``
  /``Message-ID:`` lines at the top (``Date: ... [thread overview]``), the
  body, then the page's navigation (``next prev parent reply other threads``).

Anything else is not a page (None); a page whose header cannot be read is
refused with a :class:`MailParseError` that says what is missing.
"""

from __future__ import annotations

import re

from reviewbot.errors import MailParseError
from reviewbot.model import Message

_PIPERMAIL_DATE = re.compile(r"^(?P<wday>[A-Z][a-z]{2}) (?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) "
                             r"(?P<time>\d\d:\d\d:\d\d) (?P<zone>[A-Z]{2,5}|[+-]\d{4}) (?P<year>\d{4})$")
_PIPERMAIL_ADDR = re.compile(r"^(?P<user>[^\s@]+) at (?P<host>[\w.-]+\.[a-z]{2,})$")
_PIPERMAIL_END = re.compile(r"^More information about the ", re.MULTILINE)
_LORE_HEADER = re.compile(r"^(From|To|Cc|Subject|Date|Message-ID|In-Reply-To|References): ?(.*)$", re.IGNORECASE)
_LORE_END = re.compile(r"^(next prev parent reply other threads|\^ permalink raw reply|Thread overview: )",
                       re.MULTILINE)
_MSGID = re.compile(r"<([^<>\s]+)>")


def looks_like_page(text: str) -> bool:
    """True when ``text`` is a saved list-archive page (either form)."""
    return bool(_PIPERMAIL_END.search(text) or "[thread overview]" in text[:4000]
                or _LORE_END.search(text))


def read_archive_page(data: bytes, source: str) -> Message | None:
    """The message of a saved archive page, None when ``data`` is not one."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    if not looks_like_page(text):
        return None
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if _LORE_HEADER.match(lines[start]):
        return _lore(lines, start, source)
    return _pipermail(lines, start, source)


def _pipermail(lines: list[str], start: int, source: str) -> Message:
    head = [line.strip() for line in lines[start:start + 4]]
    if len(head) < 4:
        raise MailParseError(source, "a list-archive page, but it ends before its subject, author, "
                                     "address and date lines")
    subject, name, address, date = head
    addr = _PIPERMAIL_ADDR.match(address)
    when = _PIPERMAIL_DATE.match(date)
    if addr is None or when is None:
        raise MailParseError(source, f"a list-archive page, but line {start + 3} and {start + 4} are not "
                                     f"an address ('user at host') and a date ('Wed Nov 29 10:20:52 PST "
                                     f"2017'): {address!r}, {date!r}")
    body_start = start + 4
    end = next((i for i in range(body_start, len(lines)) if _PIPERMAIL_END.match(lines[i])), len(lines))
    rfc_date = (f"{when['wday']}, {when['day']} {when['mon']} {when['year']} {when['time']} {when['zone']}")
    return Message(msgid=None, subject=subject, sender=f"{name} <{addr['user']}@{addr['host']}>",
                   date=rfc_date, body="\n".join(lines[body_start:end]), body_line=body_start + 1,
                   source=source)


def _lore(lines: list[str], start: int, source: str) -> Message:
    headers: dict[str, str] = {}
    i = start
    while i < len(lines) and lines[i].strip():
        match = _LORE_HEADER.match(lines[i])
        if match:
            headers[match.group(1).lower()] = match.group(2).replace("[thread overview]", "").strip()
        elif lines[i][:1] in " \t" and headers:
            last = list(headers)[-1]
            headers[last] += " " + lines[i].strip()
        i += 1
    missing = [h for h in ("from", "subject") if not headers.get(h)]
    if missing:
        raise MailParseError(source, f"a list-archive page, but its header has no {' or '.join(missing)} line")
    end = next((j for j in range(i, len(lines)) if _LORE_END.match(lines[j])), len(lines))
    ids = lambda name: tuple(_MSGID.findall(headers.get(name, "")))  # noqa: E731
    msgid = ids("message-id")
    parent = ids("in-reply-to")
    return Message(msgid=msgid[0] if msgid else None, subject=headers["subject"], sender=headers["from"],
                   to=tuple(a.strip() for a in headers.get("to", "").split(",") if a.strip()),
                   cc=tuple(a.strip() for a in headers.get("cc", "").split(",") if a.strip()),
                   date=headers.get("date"), in_reply_to=parent[0] if parent else None,
                   references=ids("references"), body="\n".join(lines[i + 1:end]), body_line=i + 2,
                   source=source)
