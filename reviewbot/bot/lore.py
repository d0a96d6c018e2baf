"""A polite HTTP client for public-inbox servers such as lore.kernel.org.

The only module that imports :mod:`requests`.  :class:`LoreClient` fetches
Atom search feeds (``/<list>/?q=...&x=A``), ``new.atom``, whole threads
(``t.mbox.gz``) and single messages (``/raw``), and behaves the way the
kernel.org tools do (b4, liblore): one identifying ``User-Agent``, a
``(connect, read)`` timeout on every request, conditional requests where the
server sends validators, retries with exponential backoff and jitter on
timeouts, 429 (honouring ``Retry-After``) and 5xx -- never on other 4xx --,
and mirrors to fall back to.  Every failure is a :class:`LoreError` (a
:class:`~reviewbot.errors.RemoteError`).

A hostile or broken server cannot hold the client: every request has a
total deadline (a watchdog cuts the connection of a server that drips one
byte at a time); a poll (:meth:`LoreClient.start_poll`) has a deadline and
a budget of sleep between retries; a refused connection is not retried; a
server that asks to wait longer than the budget is left alone for the rest
of the poll; redirects are followed only within the configured servers;
the body is decompressed as it arrives and refused at the caps, compressed
and decompressed, so a gzip bomb never grows in memory.

The clock, the sleep and the random source are injectable, so tests run the
backoff without waiting.

Why this module is long: one client, one concern: every request's politeness (User-Agent,
conditional requests, backoff, Retry-After, mirrors, same-origin redirects)
and its bounds (a total deadline, capped streaming decompression) must
hold together, and splitting them would spread one request over modules.
"""

from __future__ import annotations

import collections
import email.utils
import errno
import os
import random as _random
import socket
import threading
import time
import weakref
import urllib.parse
import xml.etree.ElementTree as ET
import xml.parsers.expat
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import requests
import requests.adapters

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
#: Redirects followed for one request, at most.
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


class LoreError(RemoteError):
    """A request to a public-inbox server failed: ``url``, the HTTP
    ``status`` when there was one, and the ``retry_after`` the server asked
    for (seconds) when it said to come back later."""

    #: True when the whole server is out of reach for now (refused, asked
    #: to wait, or the poll's time is up): other requests would fail alike.
    server_down = False

    def __init__(self, url: str, problem: str, *, status: int | None = None,
                 retry_after: float | None = None, server_down: bool = False) -> None:
        self.url = url
        self.problem = problem
        self.status = status
        self.retry_after = retry_after
        self.server_down = server_down
        super().__init__(f"{_shorten(url)}: {problem}")


class CorruptResponse(LoreError):
    """A response whose content is cut short or is not what it claims
    (a truncated gzip stream): worth another try."""


class _Retryable(Exception):
    """Internal: an attempt that may succeed when tried again; ``corrupt``
    when the answer came but was cut short (tried again once only)."""

    def __init__(self, problem: str, status: int | None = None, retry_after: float | None = None,
                 *, corrupt: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status
        self.retry_after = retry_after
        self.corrupt = corrupt


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
    with jitter; a ``Retry-After`` longer than ``max_retry_after`` (or than
    what the poll may still sleep) is not waited for here -- the error
    carries it, and the watcher waits instead.  An answer cut short is
    tried again ``corrupt_retries`` times only.
    """

    def __init__(self, config: LoreConfig, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 random: Callable[[], float] = _random.random,
                 retries: int = 4, backoff: float = 2.0, max_backoff: float = 120.0,
                 max_retry_after: float = 600.0, corrupt_retries: int = 1) -> None:
        self.config = config
        self.bases = tuple(u.rstrip("/") for u in (config.base_url, *config.mirrors) if u)
        if not self.bases:
            raise LoreError("lore.base-url", "no server configured")
        self._origins = {_origin(b) for b in self.bases}
        self._sockets = _Sockets()
        if session is None:
            session = requests.Session()
            adapter = _TrackingAdapter(self._sockets)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.max_bytes = config.max_response_bytes
        self.max_download = config.max_download_bytes
        self.request_deadline = config.request_deadline
        self.sleep = sleep
        self.clock = clock
        self.random = random
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.corrupt_retries = corrupt_retries
        self.requests_made = 0
        self.bytes_received = 0
        self._poll_ends: float | None = None  # time.monotonic() when the poll's time is up
        self._sleep_left: float | None = None  # seconds the poll may still sleep between retries
        self._down: dict[str, tuple[float, LoreError]] = {}  # base -> (until, why), see _get
        self._cache: collections.OrderedDict[str, tuple[str | None, str | None, _Response]] = \
            collections.OrderedDict()
        self._cache_bytes = 0

    def start_poll(self, seconds: float | None, max_sleep: float | None = None) -> None:
        """Begin a poll that may take ``seconds`` in all and sleep (between
        retries) ``max_sleep`` seconds in all (None: no limit of its own).
        A server found out of reach in an earlier poll is tried again."""
        self._poll_ends = None if seconds is None else time.monotonic() + seconds
        self._sleep_left = max_sleep
        self._down.clear()

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
        ``gzipped``: the resource is a gzip file, returned decompressed.
        A server out of reach (refused, or asked us to wait) is skipped
        until it may be tried again, without a request."""
        last: LoreError | None = None
        for base in self.bases:
            until, why = self._down.get(base, (0.0, None))
            if why is not None and time.monotonic() < until:
                last = why
                continue
            url = base + path
            try:
                return self._with_retries(method, url, params, ok_404, conditional, gzipped)
            except LoreError as exc:
                if exc.server_down:
                    self._down[base] = (time.monotonic() + (exc.retry_after or 60.0), exc)
                elif exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise  # the request itself is wrong; a mirror will not help
                last = exc
                if base != self.bases[-1]:
                    log.warning("%s; trying the next mirror", exc)
        assert last is not None
        raise last

    def _with_retries(self, method: str, url: str, params: Mapping[str, str] | None,
                      ok_404: bool, conditional: bool, gzipped: bool) -> _Response:
        attempt = corrupt = 0
        while True:
            try:
                return self._attempt(method, url, params, ok_404, conditional, gzipped)
            except _Retryable as exc:
                full = _full_url(url, params)
                corrupt += exc.corrupt
                if attempt >= self.retries or corrupt > self.corrupt_retries:
                    raise LoreError(full, f"{exc.problem} (gave up after {attempt + 1} attempts)",
                                    status=exc.status, retry_after=exc.retry_after) from None
                delay = self._delay(attempt)
                if exc.retry_after is not None:
                    if exc.retry_after > min(self.max_retry_after, self._sleep_budget()):
                        raise LoreError(full, f"{exc.problem}; the server asks to wait "
                                        f"{exc.retry_after:.0f} s", status=exc.status,
                                        retry_after=exc.retry_after, server_down=True) from None
                    delay = max(delay, exc.retry_after)
                if delay > self._sleep_budget():
                    raise LoreError(full, f"{exc.problem} (no time left in this poll to try again "
                                    f"after {attempt + 1} attempt(s))", status=exc.status) from None
                attempt += 1
                log.warning("%s: %s; retry %d of %d in %.1f s", _shorten(full), exc.problem, attempt,
                            self.retries, delay)
                if self._sleep_left is not None:
                    self._sleep_left -= delay
                self.sleep(delay)

    def _sleep_budget(self) -> float:
        """Seconds this poll may still sleep: its budget, and its deadline."""
        left = float("inf") if self._sleep_left is None else self._sleep_left
        if self._poll_ends is not None:
            left = min(left, self._poll_ends - time.monotonic())
        return max(0.0, left)

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and all of
        ``backoff * 2**attempt``, capped."""
        ceiling = min(self.max_backoff, self.backoff * (2.0 ** attempt))
        return ceiling / 2 + float(self.random()) * ceiling / 2

    def _attempt(self, method: str, url: str, params: Mapping[str, str] | None,
                 ok_404: bool, conditional: bool, gzipped: bool) -> _Response:
        key = _full_url(url, params)
        deadline = self._deadline(key)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
        cached = self._cache.get(key) if conditional else None
        if cached is not None:
            etag, modified, _ = cached
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        started = time.monotonic()
        with _Watchdog(deadline, self._sockets, poll_ends=deadline == self._poll_ends) as watchdog:
            resp = self._send(method, url, params, headers, watchdog)
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
                    body = self._read(resp, key, watchdog, gzipped=False)
                    return _Response(404, body, resp.headers.get("Content-Type", ""), key)
                if status >= 400:
                    raise LoreError(key, f"HTTP {status} {resp.reason or ''}".strip(), status=status)
                body = self._read(resp, key, watchdog, gzipped=gzipped)
            finally:
                resp.close()
        result = _Response(status, body, resp.headers.get("Content-Type", ""), key)
        log.debug("%s %s: %d, %d bytes in %.2f s", method, key, status, len(body),
                  time.monotonic() - started)
        if conditional:
            self._remember(key, resp.headers.get("ETag"), resp.headers.get("Last-Modified"), result)
        return result

    def _deadline(self, url: str) -> float:
        """When the request about to start must be over: its own deadline,
        or the poll's if that comes first (then no request starts at all)."""
        deadline = time.monotonic() + self.request_deadline
        if self._poll_ends is not None:
            if time.monotonic() >= self._poll_ends:
                raise LoreError(url, "this poll's time is up; left for the next poll",
                                server_down=True)
            deadline = min(deadline, self._poll_ends)
        return deadline

    def _send(self, method: str, url: str, params: Mapping[str, str] | None,
              headers: dict[str, str], watchdog: "_Watchdog") -> requests.Response:
        """The response (headers read, body not), following redirects only
        within the configured servers, at most :data:`MAX_REDIRECTS`."""
        for _ in range(MAX_REDIRECTS + 1):
            self.requests_made += 1
            read = max(0.001, min(self.timeout[1], watchdog.left()))
            try:
                resp = self.session.request(method, url, params=params, headers=headers,
                                            timeout=(self.timeout[0], read), stream=True,
                                            allow_redirects=False)
            except requests.RequestException as exc:
                watchdog.check(url)
                raise _connect_error(url, exc) from None
            if watchdog.fired:  # cut while reading the headers: what was read is not the answer
                resp.close()
                watchdog.check(url)
            if resp.status_code not in _REDIRECTS or "Location" not in resp.headers:
                return resp
            target = urllib.parse.urljoin(resp.url or url, resp.headers["Location"])
            resp.close()
            if _origin(target) not in self._origins:
                raise LoreError(_full_url(url, params), f"HTTP {resp.status_code} redirect to "
                                f"{_where(target)} refused: not one of the configured servers",
                                status=resp.status_code)
            log.debug("%s: redirected to %s", url, target)
            if resp.status_code == 303 or (resp.status_code in (301, 302) and method == "POST"):
                method = "GET"
            url, params = target, (params if method == "POST" else None)
        raise LoreError(url, f"more than {MAX_REDIRECTS} redirects", status=310)

    def _read(self, resp: requests.Response, url: str, watchdog: "_Watchdog", *,
              gzipped: bool) -> bytes:
        """The body, decompressed as it arrives (any Content-Encoding, then
        the gzip file itself when ``gzipped``), within the caps: what comes
        over the wire (``max_download_bytes`` when compressed) and what it
        becomes (``max_response_bytes``)."""
        encoding = resp.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise LoreError(url, f"unsupported Content-Encoding {encoding!r}")
        stages = [_Inflater(self.max_bytes, url, deflate=encoding == "deflate")
                  for _ in range(encoding not in ("", "identity"))]
        if gzipped:
            stages.append(_Inflater(self.max_bytes, url))
        wire_cap = self.max_download if stages else self.max_bytes
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > wire_cap:
            raise LoreError(url, f"response of {length} bytes is over the limit of {wire_cap}")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.raw.stream(_CHUNK, decode_content=False):
                size += len(chunk)
                self.bytes_received += len(chunk)
                if size > wire_cap:
                    raise LoreError(url, f"response is over the limit of {wire_cap} bytes")
                watchdog.check(url)
                for stage in stages:
                    chunk = stage.feed(chunk)
                chunks.append(chunk)
            watchdog.check(url)  # a body cut by the watchdog may look complete
            for stage in stages:
                stage.finish()
        except CorruptResponse as exc:
            raise _Retryable(exc.problem, corrupt=True) from None
        except LoreError:
            raise
        except Exception as exc:  # urllib3 ProtocolError, ReadTimeoutError, IncompleteRead...
            watchdog.check(url)
            raise _Retryable(f"the response was cut off: {_short(exc)}", corrupt=True) from None
        return b"".join(chunks)

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


class _Inflater:
    """A gzip (or zlib ``deflate``) decompressor fed as the body arrives,
    that never gives more than ``limit`` bytes in all: a gzip bomb is
    refused at the cap, having cost no more memory than the cap."""

    def __init__(self, limit: int, source: str, *, deflate: bool = False) -> None:
        self.limit = limit
        self.source = source
        self.deflate = deflate
        self.wbits = zlib.MAX_WBITS if deflate else 16 + zlib.MAX_WBITS
        self._decomp = zlib.decompressobj(self.wbits)
        self.size = 0

    def feed(self, data: bytes) -> bytes:
        """What ``data`` decompresses to (with what came before it)."""
        out: list[bytes] = []
        pending, more = data, False
        try:
            while True:
                if self._decomp.eof:  # another gzip member may follow (trailing NULs are padding)
                    if self.deflate or not pending.strip(b"\0"):
                        break
                    self._decomp = zlib.decompressobj(self.wbits)
                if not pending and not more:
                    break
                chunk = self._decomp.decompress(pending, _CHUNK)
                self.size += len(chunk)
                if self.size > self.limit:
                    raise LoreError(self.source, f"decompresses to more than {self.limit} bytes; refused")
                out.append(chunk)
                more = len(chunk) == _CHUNK  # output cut at the cap of one call: zlib may hold more
                pending = self._decomp.unused_data if self._decomp.eof else self._decomp.unconsumed_tail
        except zlib.error as exc:
            raise CorruptResponse(self.source, f"not valid compressed data: {exc}") from None
        return b"".join(out)

    def finish(self) -> None:
        """CorruptResponse unless the compressed data came to its end."""
        if not self._decomp.eof:
            raise CorruptResponse(self.source, "compressed data is truncated")


def gunzip(data: bytes, limit: int, source: str = "<data>", *, deflate: bool = False) -> bytes:
    """Decompress gzip (or zlib ``deflate``) ``data``; LoreError when it is
    not compressed data, is cut short, or would grow past ``limit`` bytes."""
    inflater = _Inflater(limit, source, deflate=deflate)
    out = inflater.feed(data)
    inflater.finish()
    return out


class _Sockets:
    """The sockets a client's connections opened (weakly held)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._set.add(sock)

    def shut_all(self) -> None:
        """Shut every one down: a read blocked on it returns at once."""
        with self._lock:
            socks = list(self._set)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _TrackedConnection:
    """Mixed into urllib3's connection classes: records each new socket."""

    _registry: _Sockets

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._registry.add(self.sock)  # type: ignore[attr-defined]


class _TrackingAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose connections record their sockets in ``registry``,
    so that :class:`_Watchdog` can cut a request that outlives its deadline
    (urllib3's timeouts are per read: a byte every few seconds beats them)."""

    def __init__(self, registry: _Sockets) -> None:
        self._registry = registry
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        manager = self.poolmanager
        manager.pool_classes_by_scheme = {
            scheme: type(pool.__name__, (pool,), {"ConnectionCls": type(
                pool.ConnectionCls.__name__, (_TrackedConnection, pool.ConnectionCls),
                {"_registry": self._registry})})
            for scheme, pool in manager.pool_classes_by_scheme.items()}


class _Watchdog:
    """A request's total deadline: a timer that, when it passes, shuts
    down the client's sockets so the blocked read ends; :meth:`check`
    turns what then fails into one clear error.  ``poll_ends``: the
    deadline is the poll's, so the rest of the poll is over too."""

    def __init__(self, deadline: float, sockets: _Sockets, *, poll_ends: bool) -> None:
        self.deadline = deadline
        self.seconds = max(0.0, deadline - time.monotonic())
        self.poll_ends = poll_ends
        self.fired = False
        self._sockets = sockets
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> "_Watchdog":
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.fired = True
        self._sockets.shut_all()

    def left(self) -> float:
        """Seconds until the deadline."""
        return self.deadline - time.monotonic()

    def check(self, url: str) -> None:
        """LoreError when the deadline has passed."""
        if self.fired or self.left() <= 0:
            whose = "this poll's time ran out" if self.poll_ends else "the request's deadline"
            seconds = f"{self.seconds:.1f}".rstrip("0").rstrip(".")  # 0.3, 10, 120
            raise LoreError(url, f"no complete answer within {seconds} s ({whose}); cut off",
                            server_down=self.poll_ends)


def _connect_error(url: str, exc: requests.RequestException) -> Exception:
    """What a request that got no answer means, in a few words (never
    urllib3's repr): a refused connection or an unknown host is the server
    out of reach, not retried; a timeout or a dropped connection may pass,
    and is retried."""
    where = _where(url)
    if isinstance(exc, requests.ConnectTimeout):
        return _Retryable("timed out connecting")
    if isinstance(exc, requests.Timeout):
        return _Retryable("no answer in time")
    root = _root_os_error(exc)
    if isinstance(root, socket.gaierror):
        return LoreError(where, "cannot resolve the host name", server_down=True)
    if root is not None and root.errno in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH):
        return LoreError(where, os.strerror(root.errno).lower(), server_down=True)
    if isinstance(exc, requests.ConnectionError):
        if root is not None and root.errno:
            return _Retryable(f"connection failed: {os.strerror(root.errno).lower()}")
        return _Retryable("connection closed without an answer")
    return LoreError(url, f"request failed: {_short(exc)}")


def _root_os_error(exc: BaseException) -> OSError | None:
    """The operating system's error under requests' and urllib3's wrappers."""
    todo: list[Any] = [exc]
    for _ in range(20):
        if not todo:
            break
        cur = todo.pop(0)
        if isinstance(cur, OSError) and (cur.errno or isinstance(cur, socket.gaierror)):
            return cur
        todo += [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]
        todo += [e for e in (getattr(cur, "reason", None), cur.__cause__, cur.__context__)
                 if isinstance(e, BaseException)]
    return None


def _origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, with the default port spelled out."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:  # a port that is not a number
        return url
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _where(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as written: the server, for messages."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _shorten(url: str) -> str:
    """A URL short enough for one line of a log: a long query string cut."""
    if len(url) <= 80:
        return url
    base, _, query = url.partition("?")
    short = f"{base}?{query[:24]}..." if query else base
    return short if len(short) <= 100 else short[:97] + "..."


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
