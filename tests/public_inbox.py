"""A real public-inbox server on loopback, for the watcher's integration tests.

Debian's ``public-inbox`` package is the software lore.kernel.org runs.
:class:`PublicInbox` creates a v2 inbox (full Xapian index, so the search
endpoints answer) under a test's ``tmp_path`` with its own ``PI_CONFIG``
and ``HOME``, adds messages one by one with ``public-inbox-mda`` as a list
server would deliver them, and serves it with ``public-inbox-httpd`` on a
free 127.0.0.1 port.

Without the tools, :func:`require_public_inbox` skips the test and says
why -- except in CI (``CI=true``), where a missing tool fails it, so the
integration tests can never silently stop running.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

TOOLS = ("public-inbox-init", "public-inbox-mda", "public-inbox-httpd")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def missing_tools() -> list[str]:
    """The public-inbox programs not on PATH."""
    return [t for t in TOOLS if shutil.which(t) is None]


def require_public_inbox() -> None:
    """Skip (outside CI) or fail (in CI) when public-inbox is not installed."""
    missing = missing_tools()
    if not missing:
        return
    reason = (f"public-inbox is not installed ({', '.join(missing)} not on PATH); "
              "install Debian's package: apt-get install public-inbox")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mail_date(when: float | None = None) -> str:
    """An RFC 2822 date for ``when`` (now by default)."""
    return email.utils.formatdate(time.time() if when is None else when, usegmt=True)


class PublicInbox:
    """One v2 inbox and the httpd that serves it."""

    def __init__(self, root: Path, name: str = "kvmarm", address: str = "kvmarm@lists.linux.dev") -> None:
        self.root = root
        self.name = name
        self.address = address
        self.inboxdir = root / name
        self.config = root / "pi-config"
        self.home = root / "home"
        self.log = root / "httpd.log"
        self.port: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment every public-inbox program runs with."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PI_"))}
        env.update(PI_CONFIG=str(self.config), HOME=str(self.home), TZ="UTC", LC_ALL="C.UTF-8",
                   ORIGINAL_RECIPIENT=self.address)
        return env

    @property
    def url(self) -> str:
        """Base URL of the server (what ``lore.base-url`` would be)."""
        assert self.port is not None, "start() the server first"
        return f"http://127.0.0.1:{self.port}"

    def _run(self, *argv: str, stdin: bytes | None = None) -> None:
        proc = subprocess.run(argv, input=stdin, env=self.env, capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                               f"{proc.stderr.decode(errors='replace')}")

    def init(self) -> "PublicInbox":
        """Create the inbox: v2, fully indexed, no spam check."""
        self.home.mkdir(parents=True, exist_ok=True)
        self._run("public-inbox-init", "-V2", "-L", "full", self.name, str(self.inboxdir),
                  f"http://127.0.0.1/{self.name}", self.address)
        self._run("git", "config", "-f", str(self.config), "publicinboxmda.spamcheck", "none")
        return self

    def add(self, *raws: bytes | str) -> None:
        """Deliver messages one by one, as the list server would, then make
        the running server see them (:meth:`refresh`)."""
        last = None
        for raw in raws:
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
            self._run("public-inbox-mda", "--no-precheck", stdin=data)
            found = re.search(rb"^Message-ID:\s*<([^>]+)>", data, re.IGNORECASE | re.MULTILINE)
            last = found.group(1).decode() if found else last
        if self.proc is not None and last is not None:
            self.refresh(last)

    def refresh(self, msgid: str) -> None:
        """public-inbox-httpd keeps its Xapian reader open and drops it only
        after 30 s idle (lore's index lags the same way); SIGHUP makes it
        reopen now.  Waits until a search finds ``msgid``."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)
        query = urllib.parse.urlencode({"q": f"m:{msgid}", "x": "A"})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with _OPENER.open(f"{self.url}/{self.name}/?{query}", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"public-inbox-httpd does not find {msgid} after a refresh")

    def start(self) -> "PublicInbox":
        """Serve the inbox on a free loopback port; wait until it answers."""
        self.port = free_port()
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                ["public-inbox-httpd", "-W0", "-l", f"http://127.0.0.1:{self.port}"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"public-inbox-httpd exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("public-inbox-httpd did not start within 20 s")

    def stop(self) -> None:
        """Stop the server (by its own process id)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@contextlib.contextmanager
def running_inbox(root: Path) -> Iterator[PublicInbox]:
    """A running public-inbox with an empty ``kvmarm`` inbox under ``root``,
    stopped afterwards; skips (or, in CI, fails) without public-inbox.
    Test modules wrap it in a ``public_inbox`` fixture."""
    require_public_inbox()
    inbox = PublicInbox(root / "pi").init().start()
    try:
        yield inbox
    finally:
        inbox.stop()
