"""A tiny HTTP server on 127.0.0.1 that misbehaves on purpose.

Each request first takes the next :class:`Reply` from the ``faults`` queue
(500, 429 with ``Retry-After``, garbage, a truncated gzip, a hang, a
dropped connection, a body dripped one byte at a time, a redirect...);
when the queue is empty, ``route(method, path, query)`` answers (404 by
default).  Every request is recorded with its headers, so tests can check
what the client sent; ``bytes_sent`` counts the body bytes that reached
the socket, so a test can tell how much of a large answer was read.
Helpers build the hostile bodies (:func:`gzip_bomb`, :func:`truncated_gz`).
"""

from __future__ import annotations

import collections
import functools
import gzip
import http.server
import socket
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Reply:
    """What the server answers: ``status``, ``headers``, ``body``; or
    ``hang`` seconds of silence first; or ``drop`` the connection with no
    answer; ``truncate`` sends only that many bytes of the body while
    announcing all of it; ``drip`` sends the body one byte at a time, that
    many seconds apart (a slow-loris server: every read gets a byte well
    within any read timeout), and the status line and headers too with
    ``drip_headers``."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    drop: bool = False
    truncate: int | None = None
    drip: float = 0.0
    drip_headers: bool = False


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Route = Callable[[str, str, dict[str, str]], Reply]


def gz(data: bytes) -> bytes:
    """``data`` gzipped."""
    return gzip.compress(data, mtime=0)


def truncated_gz(data: bytes) -> bytes:
    """A gzip stream cut in the middle."""
    packed = gz(data)
    return packed[: max(10, len(packed) // 2)]


@functools.lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """A gzip file of ``size`` zero bytes (about a thousandth of that
    compressed), built a MiB at a time so the bomb never sits in memory."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 9, zlib.Z_RLE)  # fast on zeros
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(size >> 20)]
    parts.append(packer.compress(bytes(size & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return b"".join(parts)


class FaultServer:
    """Start with ``with FaultServer() as srv:``; ``srv.url`` is its base."""

    def __init__(self, route: Route | None = None) -> None:
        self.route: Route = route or (lambda m, p, q: Reply(404, b"not here"))
        self.faults: collections.deque[Reply] = collections.deque()
        self.seen: list[Seen] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _serve(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    query.update(urllib.parse.parse_qsl(self.rfile.read(length).decode(),
                                                        keep_blank_values=True))
                path = urllib.parse.unquote(parts.path)
                with server._lock:
                    server.seen.append(Seen(self.command, path, query, dict(self.headers)))
                    reply = server.faults.popleft() if server.faults else None
                if reply is None:
                    reply = server.route(self.command, path, query)
                if reply.hang:
                    server._stop.wait(reply.hang)
                if reply.drop:
                    self.close_connection = True
                    return
                if reply.drip:
                    self._drip(reply)
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.truncate is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                body = reply.body if reply.truncate is None else reply.body[: reply.truncate]
                for start in range(0, len(body), 65536):  # counted as it goes: a client may stop early
                    try:
                        self.wfile.write(body[start:start + 65536])
                        self.wfile.flush()
                    except OSError:
                        break
                    with server._lock:
                        server.bytes_sent += len(body[start:start + 65536])
                if reply.truncate is not None:
                    self.close_connection = True

            def _drip(self, reply: Reply) -> None:
                head = [f"HTTP/1.1 {reply.status} Dripping"]
                head += [f"{k}: {v}" for k, v in reply.headers.items()]
                head += [f"Content-Length: {len(reply.body)}", "Connection: close", "", ""]
                self.close_connection = True
                preamble = "\r\n".join(head).encode()
                if not reply.drip_headers:
                    self.wfile.write(preamble)
                    self.wfile.flush()
                for i, byte in enumerate(preamble + reply.body):
                    if i < len(preamble) and not reply.drip_headers:
                        continue
                    try:
                        self.wfile.write(bytes((byte,)))
                        self.wfile.flush()
                    except OSError:
                        return  # the client gave up
                    if i >= len(preamble):
                        with server._lock:
                            server.bytes_sent += 1
                    if server._stop.wait(reply.drip):
                        return

            do_GET = _serve
            do_POST = _serve

        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that hung up on a hostile answer is the point, not news

        self._httpd = Quiet(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> "FaultServer":
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging replies are cut short."""
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FaultServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self.faults.extend(replies)

    def requests_to(self, fragment: str) -> list[Seen]:
        """The requests whose path contains ``fragment``."""
        with self._lock:
            return [s for s in self.seen if fragment in s.path]


def free_port_closed() -> int:
    """A loopback port with no server behind it (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
