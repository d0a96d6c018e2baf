"""LoreClient: politeness, retries, limits and parsing, against loopback servers.

The fault server (tests/fault_server.py) answers 500, 429, garbage,
truncated gzip, or nothing; the real public-inbox (tests/public_inbox.py)
shows the client speaks lore's own protocol.  No test sleeps for a backoff:
the client's sleep is a recorder.
"""

from __future__ import annotations

import email.utils
import gzip
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from reviewbot import __version__
from reviewbot.config import LoreConfig
from reviewbot.errors import RemoteError
from reviewbot.bot.lore import AtomEntry, LoreClient, LoreError, gunzip, parse_atom, quote_msgid

try:  # the helpers sit beside this file; import them whether tests/ is a package or not
    from tests.fault_server import FaultServer, Reply, free_port_closed, gz, truncated_gz
    from tests.public_inbox import PublicInbox, mail_date, running_inbox
except ImportError:
    from fault_server import FaultServer, Reply, free_port_closed, gz, truncated_gz
    from public_inbox import PublicInbox, mail_date, running_inbox


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A running FaultServer that answers 404 until told otherwise."""
    with FaultServer() as server:
        yield server


@pytest.fixture
def public_inbox(tmp_path: Path) -> Iterator[PublicInbox]:
    """A running public-inbox serving an empty ``kvmarm`` inbox."""
    with running_inbox(tmp_path) as inbox:
        yield inbox


ATOM_HEAD = (b'<?xml version="1.0" encoding="us-ascii"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
             b'xmlns:thr="http://purl.org/syndication/thread/1.0"><title>t</title>')


def atom(*msgids: str, base: str = "http://127.0.0.1/kvmarm") -> bytes:
    """An Atom feed as public-inbox writes it, one entry per Message-ID."""
    entries = b"".join(
        f'<entry><author><name>A U Thor</name><email>author@example.org</email></author>'
        f'<title>[PATCH {i}/9] KVM: arm64: thing</title><updated>2024-01-01T10:00:00Z</updated>'
        f'<link href="{base}/{quote_msgid(m)}/"/>'
        f'<thr:in-reply-to ref="urn:uuid:x" href="{base}/parent@example.org/"/>'
        f'<id>urn:uuid:{i}</id><content type="text">x</content></entry>'.encode()
        for i, m in enumerate(msgids, 1))
    return ATOM_HEAD + entries + b"</feed>"


class Sleeps(list):
    """A sleep that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(*urls: str, sleep: Callable[[float], None] | None = None, retries: int = 3,
                **config: object) -> LoreClient:
    cfg = LoreConfig(base_url=urls[0], mirrors=tuple(urls[1:]),
                     connect_timeout=float(config.pop("connect_timeout", 1.0)),  # type: ignore[arg-type]
                     read_timeout=float(config.pop("read_timeout", 2.0)),  # type: ignore[arg-type]
                     **config)  # type: ignore[arg-type]
    return LoreClient(cfg, sleep=sleep if sleep is not None else Sleeps(), random=lambda: 1.0, retries=retries,
                      backoff=1.0, clock=time.time)


# --- what every request carries -------------------------------------------------------


def test_every_request_identifies_itself_and_has_both_timeouts(fault_server: FaultServer) -> None:
    calls = []

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):  # type: ignore[no-untyped-def,override]
            calls.append(kwargs)
            return super().request(method, url, **kwargs)

    fault_server.route = lambda m, p, q: (Reply(200, gz(b"")) if p.endswith(".gz")
                                          else Reply(200, atom("a@b"), {"Content-Type": "application/atom+xml"}))
    client = LoreClient(LoreConfig(base_url=fault_server.url, connect_timeout=4, read_timeout=25),
                        session=Recording(), sleep=Sleeps())
    assert [e.msgid for e in client.new_atom("kvmarm")] == ["a@b"]
    client.search("kvmarm", "dfn:arch/arm64/kvm/hyp")
    client.thread_mbox("kvmarm", "a@b")
    assert [c["timeout"] for c in calls] == [(4.0, 25.0)] * 3
    assert {s.headers["User-Agent"] for s in fault_server.seen} == {f"reviewbot/{__version__}"}


def test_search_reads_pages_oldest_first_with_an_rt_range(fault_server: FaultServer) -> None:
    pages = {"-1": atom("m1@x", "m2@x"), "-3": atom("m3@x", "m2@x"), "-5": atom()}
    fault_server.route = lambda m, p, q: Reply(200, pages[q["o"]])
    client = make_client(fault_server.url)
    entries = client.search("kvmarm", "dfn:arch/arm64/kvm/hyp", since=1700000000.9, page_size=2)
    assert [e.msgid for e in entries] == ["m1@x", "m2@x", "m3@x"]
    queries = [s.query for s in fault_server.seen]
    assert queries[0] == {"q": "(dfn:arch/arm64/kvm/hyp) AND rt:1700000000..", "x": "A", "o": "-1", "l": "2"}
    assert [q["o"] for q in queries] == ["-1", "-3", "-5"]
    assert all(s.path == "/kvmarm/" for s in fault_server.seen)


def test_search_without_results_is_empty_but_a_missing_inbox_is_an_error(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: (
        Reply(404, b"<html>no results</html>", {"Content-Type": "text/html; charset=UTF-8"})
        if p == "/kvmarm/" else Reply(404, b"404 Not Found\n", {"Content-Type": "text/plain"}))
    client = make_client(fault_server.url)
    assert client.search("kvmarm", "dfn:nothing") == []
    with pytest.raises(LoreError, match="no such inbox 'nolist'"):
        client.search("nolist", "dfn:nothing")
    assert len(fault_server.seen) == 2  # a 404 is never retried


# --- retries and backoff ------------------------------------------------------------------


def test_5xx_is_retried_with_exponential_backoff(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(200, atom("ok@x"))
    fault_server.fail_next(Reply(500), Reply(502), Reply(503))
    sleeps = Sleeps()
    client = make_client(fault_server.url, sleep=sleeps, retries=3)
    assert [e.msgid for e in client.new_atom("kvmarm")] == ["ok@x"]
    assert sleeps == [1.0, 2.0, 4.0]  # backoff 1 s doubling; the jitter source says "all of it"
    assert len(fault_server.seen) == 4


def test_backoff_jitter_stays_between_half_and_all_of_the_step() -> None:
    for r, expected in ((0.0, 4.0), (0.5, 6.0), (1.0, 8.0)):
        client = LoreClient(LoreConfig(), random=lambda r=r: r, backoff=2.0)
        assert client._delay(2) == expected
    capped = LoreClient(LoreConfig(), random=lambda: 1.0, backoff=2.0, max_backoff=10.0)
    assert capped._delay(20) == 10.0


def test_429_honours_retry_after_seconds_and_dates(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(200, atom("ok@x"))
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    fault_server.fail_next(Reply(429, headers={"Retry-After": "7"}),
                           Reply(429, headers={"Retry-After": later}))
    sleeps = Sleeps()
    client = make_client(fault_server.url, sleep=sleeps)
    assert client.new_atom("kvmarm")[0].msgid == "ok@x"
    assert sleeps[0] == 7.0
    assert 25 <= sleeps[1] <= 31


def test_a_retry_after_too_long_to_wait_is_an_error_that_carries_it(fault_server: FaultServer) -> None:
    fault_server.fail_next(Reply(429, headers={"Retry-After": "86400"}))
    sleeps = Sleeps()
    client = make_client(fault_server.url, sleep=sleeps)
    with pytest.raises(LoreError) as info:
        client.new_atom("kvmarm")
    assert info.value.retry_after == 86400 and info.value.status == 429
    assert sleeps == [] and len(fault_server.seen) == 1


@pytest.mark.parametrize("status", [400, 403, 410])
def test_other_4xx_are_never_retried_nor_sent_to_a_mirror(status: int) -> None:
    with FaultServer(lambda m, p, q: Reply(status)) as primary, \
            FaultServer(lambda m, p, q: Reply(200, atom("x@y"))) as mirror:
        sleeps = Sleeps()
        client = make_client(primary.url, mirror.url, sleep=sleeps)
        with pytest.raises(LoreError, match=f"HTTP {status}") as info:
            client.new_atom("kvmarm")
        assert isinstance(info.value, RemoteError) and info.value.status == status
        assert len(primary.seen) == 1 and mirror.seen == [] and sleeps == []


def test_unknown_message_is_none_after_one_request(fault_server: FaultServer) -> None:
    client = make_client(fault_server.url)
    assert client.thread_mbox("kvmarm", "nope@x") is None
    assert client.raw_message("kvmarm", "nope@x") is None
    assert len(fault_server.seen) == 2


def test_giving_up_after_the_retries_names_the_url_and_the_attempts(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(503)
    client = make_client(fault_server.url, retries=2)
    with pytest.raises(LoreError, match=r"new\.atom: HTTP 503.*gave up after 3 attempts"):
        client.new_atom("kvmarm")
    assert len(fault_server.seen) == 3


def test_mirrors_take_over_when_the_primary_keeps_failing(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(200, atom("from-mirror@x"))
    dead = f"http://127.0.0.1:{free_port_closed()}"
    sleeps = Sleeps()
    client = make_client(dead, fault_server.url, sleep=sleeps, retries=1)
    assert client.new_atom("kvmarm")[0].msgid == "from-mirror@x"
    assert sleeps == []  # a refused connection is not retried: the mirror is asked at once


def test_connection_refused_hang_and_dropped_connection_are_retried(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(200, atom("ok@x"))
    fault_server.fail_next(Reply(hang=8.0), Reply(drop=True))
    sleeps = Sleeps()
    client = make_client(fault_server.url, sleep=sleeps, read_timeout=0.3)
    started = time.monotonic()
    assert client.new_atom("kvmarm")[0].msgid == "ok@x"
    assert time.monotonic() - started < 5.0  # the read timeout cut the hang short
    assert len(sleeps) == 2


def test_a_body_cut_short_is_retried(fault_server: FaultServer) -> None:
    body = atom("ok@x")
    fault_server.route = lambda m, p, q: Reply(200, body)
    fault_server.fail_next(Reply(200, body, truncate=20))
    sleeps = Sleeps()
    assert make_client(fault_server.url, sleep=sleeps).new_atom("kvmarm")[0].msgid == "ok@x"
    assert len(sleeps) == 1


def test_truncated_gzip_is_retried_then_reported(fault_server: FaultServer) -> None:
    mbox = b"From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: x\nMessage-ID: <a@b>\n\nbody\n"
    fault_server.route = lambda m, p, q: Reply(200, gz(mbox), {"Content-Type": "application/gzip"})
    fault_server.fail_next(Reply(200, truncated_gz(mbox * 50)))
    client = make_client(fault_server.url)
    assert client.thread_mbox("kvmarm", "a@b") == mbox
    fault_server.route = lambda m, p, q: Reply(200, truncated_gz(mbox * 50))
    with pytest.raises(LoreError, match="truncated"):
        client.thread_mbox("kvmarm", "a@b")


# --- limits -----------------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_without_retrying(fault_server: FaultServer) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    fault_server.route = lambda m, p, q: Reply(200, bomb, {"Content-Type": "application/gzip"})
    client = make_client(fault_server.url, max_response_bytes=1024 * 1024)
    with pytest.raises(LoreError, match="more than 1048576 bytes; refused"):
        client.thread_mbox("kvmarm", "bomb@x")
    assert len(fault_server.seen) == 1


def test_a_gzip_content_encoding_bomb_is_refused(fault_server: FaultServer) -> None:
    bomb = gzip.compress(b"<" * (20 * 1024 * 1024))
    fault_server.route = lambda m, p, q: Reply(200, bomb, {"Content-Encoding": "gzip"})
    with pytest.raises(LoreError, match="refused"):
        make_client(fault_server.url, max_response_bytes=1024 * 1024).new_atom("kvmarm")


def test_content_encoding_gzip_is_decoded(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(200, gzip.compress(atom("enc@x")), {"Content-Encoding": "gzip"})
    assert make_client(fault_server.url).new_atom("kvmarm")[0].msgid == "enc@x"


def test_oversized_responses_are_refused(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(200, b"x" * 5000)
    with pytest.raises(LoreError, match="over the limit of 4096"):
        make_client(fault_server.url, max_response_bytes=4096).raw_message("kvmarm", "big@x")


def test_gunzip_caps_and_checks() -> None:
    assert gunzip(gz(b"hello"), 10) == b"hello"
    with pytest.raises(LoreError, match="refused"):
        gunzip(gz(b"x" * 100), 99)
    with pytest.raises(LoreError, match="truncated"):
        gunzip(truncated_gz(b"hello world" * 100), 10_000)
    with pytest.raises(LoreError, match="not valid compressed data"):
        gunzip(b"garbage, not gzip", 10_000)


# --- conditional requests ------------------------------------------------------------------


def test_conditional_requests_reuse_the_cached_body(fault_server: FaultServer) -> None:
    def route(method: str, path: str, query: dict[str, str]) -> Reply:
        inm = fault_server.seen[-1].headers.get("If-None-Match")
        if inm == '"v1"':
            return Reply(304)
        return Reply(200, atom("cached@x"), {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 10:00:00 GMT"})

    fault_server.route = route
    client = make_client(fault_server.url)
    first = client.new_atom("kvmarm")
    second = client.new_atom("kvmarm")
    assert first == second and second[0].msgid == "cached@x"
    assert "If-None-Match" not in fault_server.seen[0].headers
    assert fault_server.seen[1].headers["If-None-Match"] == '"v1"'
    assert fault_server.seen[1].headers["If-Modified-Since"] == "Mon, 01 Jan 2024 10:00:00 GMT"


# --- parsing -----------------------------------------------------------------------------


def test_parse_atom_reads_public_inbox_entries() -> None:
    entries = parse_atom(atom("20240101.1234-1-a@example.org", "weird/id@x"))
    assert entries[0] == AtomEntry(
        msgid="20240101.1234-1-a@example.org", title="[PATCH 1/9] KVM: arm64: thing",
        updated="2024-01-01T10:00:00Z", author="A U Thor <author@example.org>",
        url="http://127.0.0.1/kvmarm/20240101.1234-1-a@example.org/")
    assert entries[1].msgid == "weird/id@x"  # %2F in the URL, '/' in the id
    assert "%2F" in entries[1].url


@pytest.mark.parametrize("data, problem", [
    (b"garbage", "not an Atom feed"),
    (b"<html><body>Service Unavailable</body></html>", "root element is 'html'"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
     b'<feed xmlns="http://www.w3.org/2005/Atom">&lol2;</feed>', "refused"),
    (b'<?xml version="1.0"?><!DOCTYPE feed SYSTEM "http://127.0.0.1:1/evil.dtd">'
     b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "refused"),
    (ATOM_HEAD + b"<entry><title>cut", "not an Atom feed"),
])
def test_parse_atom_refuses_garbage_and_dtds(data: bytes, problem: str) -> None:
    with pytest.raises(LoreError, match=problem):
        parse_atom(data, "feed")


def test_garbage_atom_is_not_retried(fault_server: FaultServer) -> None:
    fault_server.route = lambda m, p, q: Reply(200, b"\x89PNG garbage")
    with pytest.raises(LoreError, match="not an Atom feed"):
        make_client(fault_server.url).search("kvmarm", "dfn:x")
    assert len(fault_server.seen) == 1


def test_quote_msgid_keeps_at_and_escapes_slash() -> None:
    assert quote_msgid("<a/b@c.d>") == "a%2Fb@c.d"
    assert quote_msgid("x+y=z@host") == "x+y=z@host"


# --- against the real server ------------------------------------------------------------------


PATCH = """\
From: A U Thor <author@example.org>
To: kvmarm@lists.linux.dev
Subject: [PATCH] KVM: arm64: Use adr_l in hyp
Date: {date}
Message-ID: <{msgid}>

Body.

Signed-off-by: A U Thor <author@example.org>
---
diff --git a/arch/arm64/kvm/hyp/entry.S b/arch/arm64/kvm/hyp/entry.S
index 1111111..2222222 100644
--- a/arch/arm64/kvm/hyp/entry.S
+++ b/arch/arm64/kvm/hyp/entry.S
@@ -1,2 +1,3 @@
 a
+	adr_l	x0, sym
 b
"""


@pytest.mark.integration
def test_against_public_inbox(public_inbox: PublicInbox) -> None:
    public_inbox.add(PATCH.format(date=mail_date(), msgid="one/1@example.org"))
    public_inbox.add(PATCH.format(date=mail_date(), msgid="two@example.org").replace(
        "[PATCH]", "[PATCH v2]"))
    client = make_client(public_inbox.url)
    since = time.time() - 600
    found = client.search("kvmarm", "dfn:arch/arm64/kvm/hyp", since=since)
    assert sorted(e.msgid for e in found) == ["one/1@example.org", "two@example.org"]
    assert client.search("kvmarm", "dfn:arch/arm64/kvm/hyp", since=time.time() + 86400) == []
    assert client.search("kvmarm", "dfn:drivers/gpu") == []
    assert {e.msgid for e in client.new_atom("kvmarm")} == {"one/1@example.org", "two@example.org"}
    thread = client.thread_mbox("kvmarm", "one/1@example.org")
    assert thread is not None and thread.startswith(b"From mboxrd@z") and b"Message-ID: <one/1@example.org>" in thread
    raw = client.raw_message("kvmarm", "two@example.org")
    assert raw is not None and b"[PATCH v2]" in raw
    assert client.thread_mbox("kvmarm", "unknown@example.org") is None
    both = client.search_mbox("kvmarm", "dfn:arch/arm64/kvm/hyp")
    assert both.count(b"\nMessage-ID: <") == 2
    assert client.search_mbox("kvmarm", "dfn:drivers/gpu") == b""
