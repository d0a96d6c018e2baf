"""A polite HTTP client for public-inbox servers such as lore.kernel.org.

The only module that imports :mod:`requests`.  :class:`LoreClient` fetches
Atom search feeds (``/<list>/?q=...&x=A``), ``new.atom``, whole threads
(``t.mbox.gz``) and single messages (``/raw``), and behaves the way the
kernel.org tools do (b4, liblore): one identifying ``User-Agent``, a
``(connect, read)`` timeout on every request, conditional requests where the
server sends validators, retries with exponential backoff and jitter on
connection errors, 429 (honouring ``Retry-After``) and 5xx -- never on other
4xx --, a cap on the size of every response (compressed *and* decompressed,
so a gzip bomb is refused), and mirrors to fall back to.  Every failure is a
:class:`LoreError` (a :class:`~reviewbot.errors.RemoteError`).

The clock, the sleep and the random source are injectable, so tests run the
backoff without waiting.
"""

from __future__ import annotations

import collections
import email.utils
import random as _random
import time
import urllib.parse
import xml.etree.ElementTree as ET
import xml.parsers.expat
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import requests

from reviewbot import __version__
from reviewbot.config import LoreConfig
from reviewbot.errors import RemoteError
import logging
from reviewbot.records import record

log = logging.getLogger(__name__)

USER_AGENT = f"reviewbot/{__version__}"
ATOM = "{http://www.w3.org/2005/Atom}"
#: public-inbox returns at most this many results per search page.
SEARCH_PAGE = 200
#: Results of one search we read at most (pages of SEARCH_PAGE).
MAX_SEARCH_PAGES = 50
#: Bytes of cached bodies kept for conditional requests.
CACHE_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024


class LoreError(RemoteError):
    """A request to a public-inbox server failed: ``url``, the HTTP
    ``status`` when there was one, and the ``retry_after`` the server asked
    for (seconds) when it said to come back later."""

    def __init__(self, url: str, problem: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.url = url
        self.problem = problem
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{url}: {problem}")


class CorruptResponse(LoreError):
    """A response whose content is cut short or is not what it claims
    (a truncated gzip stream): worth another try."""


class _Retryable(Exception):
    """Internal: an attempt that may succeed when tried again."""

    def __init__(self, problem: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status
        self.retry_after = retry_after


@record
class AtomEntry:
    """One entry of a public-inbox Atom feed: a message."""

    msgid: str
    title: str
    updated: str | None
    author: str
    url: str


@record
class _Response:
    status: int
    body: bytes
    content_type: str
    url: str


def quote_msgid(msgid: str) -> str:
    """A Message-ID as a public-inbox URL path segment: ``@`` kept, ``/``
    as ``%2F``, angle brackets dropped."""
    return urllib.parse.quote(msgid.strip().strip("<>"), safe="@!$&'()*+,;=:~")


class LoreClient:
    """Fetches from one public-inbox server (and its mirrors), politely.

    ``session`` may be injected (tests, connection reuse); ``sleep``,
    ``clock`` (wall time, for ``Retry-After`` dates) and ``random`` make the
    backoff testable.  ``retries`` is the number of attempts after the
    first; the delay doubles from ``backoff`` up to ``max_backoff`` seconds,
    with jitter; a ``Retry-After`` longer than ``max_retry_after`` is not
    waited for here -- the error carries it, and the watcher waits instead.
    """

    def __init__(self, config: LoreConfig, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 random: Callable[[], float] = _random.random,
                 retries: int = 4, backoff: float = 2.0, max_backoff: float = 120.0,
                 max_retry_after: float = 600.0) -> None:
        self.config = config
        self.bases = tuple(u.rstrip("/") for u in (config.base_url, *config.mirrors) if u)
        if not self.bases:
            raise LoreError("lore.base-url", "no server configured")
        self.session = session if session is not None else requests.Session()
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.max_bytes = config.max_response_bytes
        self.sleep = sleep
        self.clock = clock
        self.random = random
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.requests_made = 0
        self.bytes_received = 0
        self._cache: collections.OrderedDict[str, tuple[str | None, str | None, _Response]] = \
            collections.OrderedDict()
        self._cache_bytes = 0

    # --- the endpoints ------------------------------------------------------------

    def search(self, inbox: str, query: str, *, since: float | None = None,
               page_size: int = SEARCH_PAGE, max_pages: int = MAX_SEARCH_PAGES) -> list[AtomEntry]:
        """Every message of ``inbox`` matching ``query`` (received at or
        after the epoch ``since``, with an ``rt:`` range), oldest first.
        Reads the Atom feed page by page, in ascending order so that mail
        arriving meanwhile cannot shift a page."""
        q = f"({query}) AND rt:{int(since)}.." if since is not None else query
        entries: list[AtomEntry] = []
        seen: set[str] = set()
        for page in range(max_pages):
            params = {"q": q, "x": "A", "o": str(-(page * page_size) - 1)}
            if page_size != SEARCH_PAGE:
                params["l"] = str(page_size)
            resp = self._get(f"/{inbox}/", params, ok_404=True)
            if resp.status == 404:  # public-inbox's "no results" page
                if not resp.content_type.startswith("text/html"):
                    raise LoreError(resp.url, f"no such inbox {inbox!r}", status=404)
                break
            batch = parse_atom(resp.body, resp.url)
            entries.extend(e for e in batch if e.msgid not in seen)
            seen.update(e.msgid for e in batch)
            if len(batch) < page_size:
                break
        else:
            log.warning("search %r on %s: stopped after %d pages", q, inbox, max_pages)
        log.info("searched %s for %r: %d message%s", inbox, q, len(entries), "" if len(entries) == 1 else "s")
        return entries

    def new_atom(self, inbox: str) -> list[AtomEntry]:
        """The newest messages of ``inbox`` (``new.atom``), newest first."""
        resp = self._get(f"/{inbox}/new.atom", conditional=True)
        return parse_atom(resp.body, resp.url)

    def thread_mbox(self, inbox: str, msgid: str) -> bytes | None:
        """The whole thread of ``msgid`` as an mboxrd (``t.mbox.gz``,
        decompressed), or None when the server does not know the message."""
        resp = self._get(f"/{inbox}/{quote_msgid(msgid)}/t.mbox.gz", ok_404=True, conditional=True,
                         gzipped=True)
        if resp.status == 404:
            return None
        log.info("fetched thread %s: %d bytes", msgid, len(resp.body))
        return resp.body

    def raw_message(self, inbox: str, msgid: str) -> bytes | None:
        """One message as sent (``/raw``), or None when it is unknown."""
        resp = self._get(f"/{inbox}/{quote_msgid(msgid)}/raw", ok_404=True, conditional=True)
        return None if resp.status == 404 else resp.body

    def search_mbox(self, inbox: str, query: str, *, threads: bool = False) -> bytes:
        """The messages matching ``query`` as an mboxrd (POST ``x=m``,
        gunzipped); with ``threads`` their whole threads.  Empty bytes when
        nothing matches."""
        params = {"q": query, "x": "m"}
        if threads:
            params["t"] = "1"
        resp = self._get(f"/{inbox}/", params, method="POST", ok_404=True, gzipped=True)
        return b"" if resp.status == 404 else resp.body

    # --- one request, with retries and mirrors ---------------------------------------

    def _get(self, path: str, params: Mapping[str, str] | None = None, *, method: str = "GET",
             ok_404: bool = False, conditional: bool = False, gzipped: bool = False) -> _Response:
        """Try each server in turn; on each, retry what may succeed later.
        ``gzipped``: the resource is a gzip file, returned decompressed."""
        last: LoreError | None = None
        for base in self.bases:
            url = base + path
            try:
                return self._with_retries(method, url, params, ok_404, conditional, gzipped)
            except LoreError as exc:
                if exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise  # the request itself is wrong; a mirror will not help
                last = exc
                if base != self.bases[-1]:
                    log.warning("%s; trying the next mirror", exc)
        assert last is not None
        raise last

    def _with_retries(self, method: str, url: str, params: Mapping[str, str] | None,
                      ok_404: bool, conditional: bool, gzipped: bool) -> _Response:
        attempt = 0
        while True:
            try:
                return self._attempt(method, url, params, ok_404, conditional, gzipped)
            except _Retryable as exc:
                full = _full_url(url, params)
                if attempt >= self.retries:
                    raise LoreError(full, f"{exc.problem} (gave up after {attempt + 1} attempts)",
                                    status=exc.status, retry_after=exc.retry_after) from None
                delay = self._delay(attempt)
                if exc.retry_after is not None:
                    if exc.retry_after > self.max_retry_after:
                        raise LoreError(full, f"{exc.problem}; the server asks to wait "
                                        f"{exc.retry_after:.0f} s", status=exc.status,
                                        retry_after=exc.retry_after) from None
                    delay = max(delay, exc.retry_after)
                attempt += 1
                log.warning("%s: %s; retry %d of %d in %.1f s", full, exc.problem, attempt,
                            self.retries, delay)
                self.sleep(delay)

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and all of
        ``backoff * 2**attempt``, capped."""
        ceiling = min(self.max_backoff, self.backoff * (2.0 ** attempt))
        return ceiling / 2 + float(self.random()) * ceiling / 2

    def _attempt(self, method: str, url: str, params: Mapping[str, str] | None,
                 ok_404: bool, conditional: bool, gzipped: bool) -> _Response:
        key = _full_url(url, params)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
        cached = self._cache.get(key) if conditional else None
        if cached is not None:
            etag, modified, _ = cached
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        self.requests_made += 1
        started = time.monotonic()
        try:
            resp = self.session.request(method, url, params=params, headers=headers,
                                        timeout=self.timeout, stream=True, allow_redirects=True)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(f"cannot connect: {_short(exc)}") from None
        except requests.RequestException as exc:
            raise LoreError(key, f"request failed: {_short(exc)}") from None
        try:
            status = resp.status_code
            if status == 304 and cached is not None:
                self._cache.move_to_end(key)
                log.debug("%s %s: not modified", method, key)
                return cached[2]
            if status == 429 or status >= 500:
                raise _Retryable(f"HTTP {status} {resp.reason or ''}".strip(), status,
                                 self._retry_after(resp.headers.get("Retry-After")))
            if status == 404 and ok_404:
                body = self._read(resp, key)
                return _Response(404, body, resp.headers.get("Content-Type", ""), key)
            if status >= 400:
                raise LoreError(key, f"HTTP {status} {resp.reason or ''}".strip(), status=status)
            body = self._read(resp, key)
        finally:
            resp.close()
        if gzipped:
            try:
                body = gunzip(body, self.max_bytes, key)
            except CorruptResponse as exc:
                raise _Retryable(exc.problem) from None
        result = _Response(status, body, resp.headers.get("Content-Type", ""), key)
        log.debug("%s %s: %d, %d bytes in %.2f s", method, key, status, len(body),
                  time.monotonic() - started)
        if conditional:
            self._remember(key, resp.headers.get("ETag"), resp.headers.get("Last-Modified"), result)
        return result

    def _read(self, resp: requests.Response, url: str) -> bytes:
        """The body, within the size cap, with any Content-Encoding undone
        by a decompressor that is capped as well."""
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise LoreError(url, f"response of {length} bytes is over the limit of {self.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.raw.stream(_CHUNK, decode_content=False):
                size += len(chunk)
                if size > self.max_bytes:
                    raise LoreError(url, f"response is over the limit of {self.max_bytes} bytes")
                chunks.append(chunk)
        except LoreError:
            raise
        except Exception as exc:  # urllib3 ProtocolError, ReadTimeoutError, IncompleteRead...
            raise _Retryable(f"the response was cut off: {_short(exc)}") from None
        self.bytes_received += size
        body = b"".join(chunks)
        encoding = resp.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            try:
                body = gunzip(body, self.max_bytes, url, deflate=encoding == "deflate")
            except CorruptResponse as exc:
                raise _Retryable(exc.problem) from None
        elif encoding not in ("", "identity"):
            raise LoreError(url, f"unsupported Content-Encoding {encoding!r}")
        return body

    def _retry_after(self, value: str | None) -> float | None:
        """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - self.clock())

    def _remember(self, key: str, etag: str | None, modified: str | None, resp: _Response) -> None:
        """Keep a body with validators for the next conditional request."""
        if not (etag or modified) or len(resp.body) > CACHE_BYTES // 4:
            return
        old = self._cache.pop(key, None)
        if old is not None:
            self._cache_bytes -= len(old[2].body)
        self._cache[key] = (etag, modified, resp)
        self._cache_bytes += len(resp.body)
        while self._cache_bytes > CACHE_BYTES:
            _, (_, _, dropped) = self._cache.popitem(last=False)
            self._cache_bytes -= len(dropped.body)


# --- pure helpers ---------------------------------------------------------------------


def gunzip(data: bytes, limit: int, source: str = "<data>", *, deflate: bool = False) -> bytes:
    """Decompress gzip (or zlib ``deflate``) ``data``; LoreError when it is
    not compressed data, is cut short, or would grow past ``limit`` bytes."""
    decomp = zlib.decompressobj(zlib.MAX_WBITS if deflate else 16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    size = 0
    pending = data
    try:
        while pending:
            chunk = decomp.decompress(pending, _CHUNK)
            size += len(chunk)
            if size > limit:
                raise LoreError(source, f"decompresses to more than {limit} bytes; refused")
            out.append(chunk)
            pending = decomp.unconsumed_tail
            if decomp.eof:
                break
        while not decomp.eof:  # the decompressor may still hold output
            chunk = decomp.decompress(b"", _CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise LoreError(source, f"decompresses to more than {limit} bytes; refused")
            out.append(chunk)
    except zlib.error as exc:
        raise CorruptResponse(source, f"not valid compressed data: {exc}") from None
    if not decomp.eof:
        raise CorruptResponse(source, "compressed data is truncated")
    return b"".join(out)


def parse_atom(data: bytes, source: str = "<atom>") -> list[AtomEntry]:
    """The entries of a public-inbox Atom feed.  A document type declaration
    (and so any entity definition) is refused before anything is expanded;
    anything that is not an Atom feed is a LoreError."""
    _refuse_dtd(data, source)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise LoreError(source, f"not an Atom feed: {exc}") from None
    if root.tag != f"{ATOM}feed":
        raise LoreError(source, f"not an Atom feed: root element is {root.tag!r}")
    entries = []
    for entry in root.iter(f"{ATOM}entry"):
        href = ""
        for link in entry.findall(f"{ATOM}link"):
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                href = link.get("href", "")
                break
        msgid = _msgid_from_url(href)
        if not msgid:
            log.debug("%s: an entry without a message link; skipped", source)
            continue
        name = entry.findtext(f"{ATOM}author/{ATOM}name") or ""
        addr = entry.findtext(f"{ATOM}author/{ATOM}email") or ""
        entries.append(AtomEntry(
            msgid=msgid,
            title=" ".join((entry.findtext(f"{ATOM}title") or "").split()),
            updated=entry.findtext(f"{ATOM}updated"),
            author=email.utils.formataddr((name, addr)) if addr else name,
            url=href,
        ))
    return entries


def _refuse_dtd(data: bytes, source: str) -> None:
    def refuse(*_: Any) -> None:
        raise LoreError(source, "XML with a document type or entity declaration; refused")

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise LoreError(source, f"not an Atom feed: {exc}") from None


def _msgid_from_url(href: str) -> str:
    """``https://lore.kernel.org/kvmarm/<id>/`` -> ``<id>`` (unquoted)."""
    path = urllib.parse.urlsplit(href).path.rstrip("/")
    segment = path.rsplit("/", 1)[-1] if "/" in path else path
    return urllib.parse.unquote(segment)


def _full_url(url: str, params: Mapping[str, str] | None) -> str:
    return f"{url}?{urllib.parse.urlencode(params)}" if params else url


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."
