"""The email package's path: messages the plain reader
(:mod:`reviewbot.mail.plain`) finds too intricate, read with :mod:`email`
(the only module that imports it), each header checked so that nothing a
list post carries (a CR/LF in a Message-ID, an address the package cannot
parse) reaches the rest of reviewbot.  Pure: bytes in, a Message or
MailParseError out."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reviewbot.errors import MailParseError
from reviewbot.mail.plain import DIFF_START, decode_body, first_msgid, msgids
from reviewbot.model import Message

if TYPE_CHECKING:
    from email.message import EmailMessage

def _email_policy() -> Any:
    """One policy for every message: UTF-8, 8-bit safe, no line folding."""
    global _POLICY
    if _POLICY is None:
        import email.policy
        _POLICY = email.policy.default.clone(utf8=True, cte_type="8bit", max_line_length=None)
    return _POLICY


_POLICY: Any = None
# Characters no header value taken from a message may keep: a line break in
# a Message-ID or an address would end up in the headers of a reply.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_with_email(raw: bytes, source: str, body_line: int) -> Message:
    """What :func:`parse_message` gives, read by the email package."""
    from email.parser import BytesParser

    try:
        msg = BytesParser(policy=_email_policy()).parsebytes(raw)
    except Exception as exc:  # the email package raises many kinds
        raise MailParseError(source, f"cannot parse the message: {exc}") from exc
    msgid, in_reply_to, references, subject, date = _thread_fields(msg, source)
    list_id = _unstructured(msg, "List-Id")
    return Message(
        msgid=msgid,
        subject=subject,
        sender=_sender(msg, source),
        to=_addresses(msg, "To", source),
        cc=_addresses(msg, "Cc", source),
        reply_to=_addresses(msg, "Reply-To", source),
        date=date,
        in_reply_to=in_reply_to,
        references=references,
        body=_text_body(msg, source),
        body_line=body_line,
        source=source,
        list_id=first_msgid(list_id) or (" ".join(_CONTROL.sub(" ", list_id).split()) or None),
        # raw, unfolded: decoding every header through the header registry
        # doubles the cost of reading an archive, and only a few are needed
        headers=tuple((k, " ".join(_safe_str(v).split())) for k, v in msg.raw_items()),
    )


def _thread_fields(msg: EmailMessage, source: str) -> tuple[str | None, str | None, tuple[str, ...], str, str | None]:
    """``(msgid, in_reply_to, references, subject, date)``, read one way for
    :func:`parse_message` and the archive index alike."""
    msgid_text = _unstructured(msg, "Message-ID")
    msgid = first_msgid(msgid_text)
    if msgid_text and msgid is None and _CONTROL.search(msgid_text):
        raise MailParseError(source, f"its Message-ID holds a line break or control character: "
                                     f"{msgid_text[:80]!r}")
    return (msgid, first_msgid(_unstructured(msg, "In-Reply-To")), msgids(_unstructured(msg, "References")),
            " ".join(_header(msg, "Subject", source).split()), _header(msg, "Date", source) or None)


def thread_headers(head: bytes, *, source: str = "<headers>") -> tuple[str | None, str | None, tuple[str, ...], str, str | None]:
    """``(msgid, in_reply_to, references, subject, date)`` of a header
    block, decoded as :func:`parse_message` decodes them, without reading
    the body or the address headers (for an index of a whole archive)."""
    from email.parser import BytesParser

    try:
        msg = BytesParser(policy=_email_policy()).parsebytes(head + b"\n\n", headersonly=True)
    except Exception as exc:  # the email package raises many kinds
        raise MailParseError(source, f"cannot parse the headers: {exc}") from exc
    return _thread_fields(msg, source)


def text_body(raw: bytes, *, source: str = "<input>") -> str:
    """The decoded text/plain body of a message, as :func:`parse_message`
    gives it, without decoding its headers."""
    from email.parser import BytesParser

    try:
        msg = BytesParser(policy=_email_policy()).parsebytes(raw.replace(b"\r\n", b"\n"))
    except Exception as exc:  # the email package raises many kinds
        raise MailParseError(source, f"cannot parse the message: {exc}") from exc
    return _text_body(msg, source)


def _unstructured(msg: EmailMessage, name: str) -> str:
    """The first ``name`` header as plain text (encoded words decoded), not
    through the header registry: its Message-ID parser drops parts of ids
    (``<a@b@c>`` reads ``<a@b>``) and raises on others (``<,x@y>``), where
    In-Reply-To and References, which point at these ids, are read as text."""
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            text = _LINE_BREAK.sub("", _safe_str(value))
            try:
                return str(_email_policy().header_factory("x-unstructured", text)).strip()
            except Exception:  # the email package raises many kinds
                return text.strip()
    return ""


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _header(msg: EmailMessage, name: str, source: str) -> str:
    """A header as the email package renders it, on one line without
    control characters; a header it cannot parse is read as plain text."""
    try:
        value = _safe_str(msg.get(name) or "")
    except Exception:  # a header so broken the policy cannot even parse it
        value = _unstructured(msg, name)
    return _CONTROL.sub(" ", " ".join(value.split())).strip() if value else ""


def _sender(msg: EmailMessage, source: str) -> str:
    """The From header; MailParseError when the email package cannot read it."""
    try:
        value = next(iter(_fetched(msg, "From", first=True)), "")
    except Exception as exc:
        raise _bad_header("From", msg, source, exc) from exc
    return " ".join(_CONTROL.sub(" ", value).split())


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return ""


def _addresses(msg: EmailMessage, name: str, source: str) -> tuple[str, ...]:
    """The usable addresses of every ``name`` header: an address without
    ``@``, with blanks or control characters, or not in ASCII is left out
    (a reply could not go to it), and a name loses its control characters."""
    import email.utils

    try:
        pairs = _address_pairs(_fetched(msg, name))
    except Exception as exc:  # the header registry raises IndexError and more on broken lists
        pairs = _without_empty_groups(msg, name)
        if pairs is None:
            raise _bad_header(name, msg, source, exc) from exc
    result = []
    for display, address in pairs:
        if not _USABLE_ADDRESS.fullmatch(address):
            continue
        display = " ".join(_CONTROL.sub(" ", display).split())
        result.append(email.utils.formataddr((display, address)) if display else address)
    return tuple(result)


# An empty group with a comment after it, as sendmail writes for a message
# sent without To: ("unlisted-recipients:; (no To-header on input)"): it
# names no address, but the header registry fails on it.
_EMPTY_GROUP = re.compile(r"\s*[^:<>@\",;()]+:\s*;\s*(?:\([^()]*\)\s*)*")


def _without_empty_groups(msg: EmailMessage, name: str) -> tuple[tuple[str, str], ...] | None:
    """The address pairs of the ``name`` headers of ``msg`` that are not an
    empty group; None when none is one, or the others cannot be read either."""
    fields = [(k, v) for k, v in msg.raw_items() if k.lower() == name.lower()]
    kept = tuple((k, v) for k, v in fields if not (type(v) is str and _EMPTY_GROUP.fullmatch(" ".join(v.split()))))
    if len(kept) == len(fields):
        return None
    values, problem = _rendered(kept)
    return None if problem is not None else _address_pairs(values)


# The header registry's parsers are the slowest part of this path (~3 ms a
# message for the address lists), and the patches of a series, and its
# revisions, carry the same From:, To: and Cc:.  ``msg.get_all(name)`` is
# the policy's ``header_fetch_parse`` of each raw (name, value) pair, so
# the rendering of the same pairs, or what it raised, is remembered.
_REMEMBERED = 512


def _fetched(msg: EmailMessage, name: str, *, first: bool = False) -> tuple[str, ...]:
    """``str()`` of each ``msg.get_all(name)`` (of ``msg.get(name)`` only,
    ``first``); raises what they raise."""
    wanted = name.lower()
    fields = tuple((k, v) for k, v in msg.raw_items() if k.lower() == wanted)[:1 if first else None]
    if not all(type(v) is str for _, v in fields):  # not a raw value: read it uncached
        found = [msg.get(name)] if first else msg.get_all(name)
        return tuple(_safe_str(v) for v in (found or []) if v is not None)
    value, problem = _rendered(fields)
    if problem is not None:
        raise problem.with_traceback(None)  # raised afresh: no frames of earlier messages kept
    return value


@lru_cache(maxsize=_REMEMBERED)
def _rendered(fields: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], Exception | None]:
    try:
        return tuple(_safe_str(_email_policy().header_fetch_parse(k, v)) for k, v in fields), None
    except Exception as exc:  # the header registry raises IndexError and more on broken lists
        return (), exc


@lru_cache(maxsize=_REMEMBERED)
def _address_pairs(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    import email.utils

    return tuple(email.utils.getaddresses(list(values)))


# one "@" split point only: a local part without "@" keeps fullmatch linear
_USABLE_ADDRESS = re.compile(r"[\x21-\x3f\x41-\x7e]+@[\x21-\x7e]+")


def _bad_header(name: str, msg: EmailMessage, source: str, exc: Exception) -> MailParseError:
    raw = next((_safe_str(v) for k, v in msg.raw_items() if k.lower() == name.lower()), "")
    return MailParseError(source, f"its {name}: header cannot be read ({type(exc).__name__}): "
                                  f"{' '.join(raw.split())[:80]!r}")


#: The text parts a patch may come in besides the body: ``git send-email
#: --attach`` and ``--inline`` put the diff in a part of its own.
_PATCH_PARTS = ("text/plain", "text/x-patch", "text/x-diff", "text/x-patch-file", "application/x-patch")


def _text_body(msg: EmailMessage, source: str) -> str:
    """The text/plain body, decoded whatever the transfer encoding and
    charset; when it carries no diff, followed by the first other text
    part that does (a patch attached, or inline in a part of its own)."""
    try:
        part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        if part is None:
            raise MailParseError(source, "the message has no text/plain part")
        body = _part_text(part)
        if msg.is_multipart() and not DIFF_START.search(body):
            for other in msg.walk():
                if other is part or other.is_multipart() or other.get_content_type() not in _PATCH_PARTS:
                    continue
                text = _part_text(other)
                if DIFF_START.search(text):
                    return body.rstrip("\n") + "\n" + text
    except MailParseError:
        raise
    except Exception as exc:  # a MIME structure the email package cannot walk
        raise MailParseError(source, f"its body cannot be read: {type(exc).__name__}: {exc}") from exc
    return body


def _part_text(part: Any) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = _safe_str(part.get_payload()).encode("utf-8", "surrogateescape")
    return decode_body(payload, part.get_content_charset() or "utf-8")

