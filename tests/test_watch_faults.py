"""The watcher under faults: a server that drips, asks to wait for ten
minutes, sends truncated or exploding gzip, redirects elsewhere, or is not
there at all.  Each case ends within its bound; the tests assert what
happened and bounded counts (requests made, bytes read, tries recorded),
never how long it took.

Three layers: the LoreClient alone (its sleep is a recorder); ``run_once``
over HTTP with a clock the test sets (tries and backoff across polls); and
``reviewbot watch --once`` as a process, as cron runs it.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewbot.config import LoreConfig, WatchConfig, WatchQuery, load_config, Config
from reviewbot.bot.lore import LoreClient, LoreError, quote_msgid
from reviewbot.bot.state import StateStore
from reviewbot.bot.watcher import MAX_THREAD_TRIES, THREAD_BACKOFF, run_once

try:  # the helpers sit beside this file; import them whether tests/ is a package or not
    from tests.fault_server import (FaultServer, Reply, free_port_closed, gz, gzip_bomb, truncated_gz,
                                    wait_until)
except ImportError:
    from fault_server import FaultServer, Reply, free_port_closed, gz, gzip_bomb, truncated_gz, wait_until

ROOT = Path(__file__).resolve().parent.parent
HIT = "hit-1@example.org"
MBOX = (b"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: A <a@example.org>\n"
        b"Subject: [PATCH] KVM: arm64: x\nMessage-ID: <" + HIT.encode() + b">\n\nno diff here\n")
BOMB = 256 * 1024 * 1024  # zeros, about 250 KiB gzipped


def feed(*msgids: str) -> bytes:
    """A public-inbox Atom feed with one entry per Message-ID."""
    entries = "".join(f'<entry><title>t</title><link href="http://x/kvmarm/{quote_msgid(m)}/"/></entry>'
                      for m in msgids)
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'.encode()


def lore_route(thread: Reply) -> Any:
    """A server whose searches find :data:`HIT` and whose thread answer is ``thread``."""
    def route(method: str, path: str, query: dict[str, str]) -> Reply:
        if path.endswith("/t.mbox.gz"):
            return thread
        if query.get("x") == "A":
            return Reply(200, feed(HIT), {"Content-Type": "application/atom+xml"})
        return Reply(404, b"not found")
    return route


class Sleeps(list):
    """A sleep that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(*urls: str, sleeps: Sleeps | None = None, **config: Any) -> LoreClient:
    cfg = LoreConfig(base_url=urls[0], mirrors=tuple(urls[1:]), connect_timeout=1.0,
                     read_timeout=float(config.pop("read_timeout", 2.0)), **config)
    return LoreClient(cfg, sleep=sleeps if sleeps is not None else Sleeps(), random=lambda: 1.0,
                      retries=3, backoff=1.0)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def elsewhere() -> Iterator[FaultServer]:
    """A second loopback server, on another port: another origin."""
    with FaultServer(lambda m, p, q: Reply(200, feed("stolen@x"))) as srv:
        yield srv


# --- total deadlines -------------------------------------------------------------------------


@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "headers"])
def test_a_server_that_drips_is_cut_at_the_request_deadline(server: FaultServer, drip_headers: bool) -> None:
    body = feed(*(f"m{i}@x" for i in range(40)))  # ~3 KB: minutes at one byte per 50 ms
    server.route = lambda m, p, q: Reply(200, body, drip=0.05, drip_headers=drip_headers)
    client = client_for(server.url, request_deadline=1.0)
    with pytest.raises(LoreError, match=r"no complete answer within 1 s \(the request's deadline\)") as info:
        client.new_atom("kvmarm")
    assert not info.value.server_down
    assert len(server.seen) == 1  # not tried again: a dripping server would drip again
    assert server.bytes_sent < len(body) // 2


def test_the_poll_deadline_cuts_a_request_and_ends_the_poll(server: FaultServer) -> None:
    server.route = lambda m, p, q: Reply(200, feed("a@x") * 50, drip=0.05)
    client = client_for(server.url, request_deadline=60.0)
    client.start_poll(1.0)
    with pytest.raises(LoreError, match="this poll's time ran out") as info:
        client.new_atom("kvmarm")
    assert info.value.server_down
    with pytest.raises(LoreError, match="time"):
        client.search("kvmarm", "dfn:x")
    assert len(server.seen) == 1  # nothing more was asked once the poll's time was up


def test_a_retry_after_longer_than_the_sleep_budget_is_not_waited_for(server: FaultServer) -> None:
    server.route = lambda m, p, q: Reply(429, headers={"Retry-After": "599"})
    sleeps = Sleeps()
    client = client_for(server.url, sleeps=sleeps)
    client.start_poll(600, max_sleep=30)
    with pytest.raises(LoreError, match="asks to wait 599 s") as info:
        client.search("kvmarm", "dfn:x")
    assert info.value.server_down and info.value.retry_after == 599
    with pytest.raises(LoreError, match="asks to wait 599 s"):
        client.search("linux-arm-kernel", "dfn:x")  # left alone for the rest of the poll
    assert sleeps == [] and len(server.seen) == 1
    client.start_poll(600, max_sleep=30)  # the next poll asks again
    with pytest.raises(LoreError):
        client.new_atom("kvmarm")
    assert len(server.seen) == 2


def test_sleeping_between_retries_stops_at_the_budget(server: FaultServer) -> None:
    server.route = lambda m, p, q: Reply(429, headers={"Retry-After": "20"})
    sleeps = Sleeps()
    client = client_for(server.url, sleeps=sleeps)
    client.start_poll(600, max_sleep=30)
    with pytest.raises(LoreError, match="asks to wait 20 s"):
        client.new_atom("kvmarm")
    assert sleeps == [20.0] and len(server.seen) == 2


def test_a_truncated_gzip_is_tried_twice_only(server: FaultServer) -> None:
    server.route = lambda m, p, q: Reply(200, truncated_gz(MBOX * 100))
    sleeps = Sleeps()
    with pytest.raises(LoreError, match="truncated.*gave up after 2 attempts"):
        client_for(server.url, sleeps=sleeps).thread_mbox("kvmarm", HIT)
    assert len(server.seen) == 2 and len(sleeps) == 1


# --- redirects --------------------------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused(server: FaultServer, elsewhere: FaultServer) -> None:
    server.route = lambda m, p, q: Reply(302, headers={"Location": f"{elsewhere.url}/kvmarm/new.atom"})
    with pytest.raises(LoreError, match="redirect to .* refused: not one of the configured servers"):
        client_for(server.url).new_atom("kvmarm")
    assert elsewhere.seen == [] and len(server.seen) == 1


def test_a_redirect_to_another_scheme_is_refused(server: FaultServer) -> None:
    https = server.url.replace("http://", "https://")
    server.route = lambda m, p, q: Reply(301, headers={"Location": f"{https}/kvmarm/new.atom"})
    with pytest.raises(LoreError, match="refused"):
        client_for(server.url).new_atom("kvmarm")


def test_same_origin_and_mirror_redirects_are_followed(server: FaultServer, elsewhere: FaultServer) -> None:
    def route(method: str, path: str, query: dict[str, str]) -> Reply:
        if path == "/kvmarm/new.atom":
            return Reply(302, headers={"Location": "/moved/new.atom"})
        return Reply(307, headers={"Location": f"{elsewhere.url}/kvmarm/new.atom"})

    server.route = route
    client = client_for(server.url, elsewhere.url)  # elsewhere is a configured mirror
    assert [e.msgid for e in client.new_atom("kvmarm")] == ["stolen@x"]
    assert [s.path for s in server.seen] == ["/kvmarm/new.atom", "/moved/new.atom"]
    assert len(elsewhere.seen) == 1
    assert elsewhere.seen[0].headers["User-Agent"].startswith("reviewbot/")


def test_a_redirect_loop_ends(server: FaultServer) -> None:
    server.route = lambda m, p, q: Reply(302, headers={"Location": "/again"})
    with pytest.raises(LoreError, match="more than 5 redirects"):
        client_for(server.url).new_atom("kvmarm")
    assert len(server.seen) == 6


# --- sizes --------------------------------------------------------------------------------------


def test_a_gzip_bomb_stops_at_the_cap_having_read_a_fraction(server: FaultServer) -> None:
    bomb = gzip_bomb(BOMB)
    server.route = lambda m, p, q: Reply(200, bomb, {"Content-Type": "application/gzip"})
    client = client_for(server.url, max_response_bytes=1024 * 1024)
    with pytest.raises(LoreError, match="decompresses to more than 1048576 bytes; refused"):
        client.thread_mbox("kvmarm", "bomb@x")
    assert len(server.seen) == 1  # a bomb is not worth another try
    assert client.bytes_received < len(bomb) // 2  # it stopped reading at the cap


def test_a_gzip_bomb_inside_a_gzip_content_encoding_stops_at_the_cap(server: FaultServer) -> None:
    double = gz(gzip_bomb(BOMB))  # Content-Encoding over a .gz: two inflaters, each capped
    server.route = lambda m, p, q: Reply(200, double, {"Content-Encoding": "gzip"})
    client = client_for(server.url, max_response_bytes=1024 * 1024)
    with pytest.raises(LoreError, match="refused"):
        client.thread_mbox("kvmarm", "bomb@x")
    assert client.bytes_received <= len(double)


def test_the_compressed_download_has_its_own_cap(server: FaultServer) -> None:
    big = gz(os.urandom(200_000))  # incompressible: 200 KB on the wire
    server.route = lambda m, p, q: Reply(200, big)
    client = client_for(server.url, max_download_bytes=64 * 1024)
    with pytest.raises(LoreError, match="over the limit of 65536"):
        client.thread_mbox("kvmarm", "big@x")
    assert client.bytes_received == 0  # refused by its Content-Length, unread


# --- an unreachable server ----------------------------------------------------------------------


def test_a_refused_connection_fails_at_once_in_one_short_line() -> None:
    dead = f"http://127.0.0.1:{free_port_closed()}"
    sleeps = Sleeps()
    client = client_for(dead, sleeps=sleeps)
    with pytest.raises(LoreError) as info:
        client.search("kvmarm", "dfn:arch/arm64/kvm/hyp OR dfn:arch/arm64/include/asm/kvm_asm.h")
    assert str(info.value) == f"{dead}: connection refused"
    assert info.value.server_down and sleeps == []


# --- run_once: tries remembered across polls ---------------------------------------------------


def make_config(url: str, **lore: Any) -> Config:
    base = load_config(packaged=True)
    return Config(rules=base.rules, context=base.context, bot=base.bot,
                  watch=WatchConfig(queries=(WatchQuery("kvmarm", "dfn:arch/arm64/kvm/hyp"),),
                                    initial_lookback=86400),
                  lore=LoreConfig(base_url=url, connect_timeout=1, read_timeout=2, **lore))


def test_a_thread_that_keeps_failing_is_backed_off_then_given_up(server: FaultServer) -> None:
    server.route = lore_route(Reply(200, truncated_gz(MBOX * 100)))
    config = make_config(server.url)
    client = LoreClient(config.lore, sleep=Sleeps(), random=lambda: 1.0, retries=3, backoff=1.0)
    store = StateStore(":memory:")
    now = 1_700_000_000.0
    polls = 0
    while polls == 0 or (polls < 30 and store.todo_hits()):
        out = run_once(client, store, None, config, None, now=now, review=lambda *a: None)
        polls += 1
        assert [o.action for o in out] in (["polled", "error"], ["polled"])
        now += 600
    # tried at the first poll, then 5, 10, 20 and 40 min after each failure; then given up
    tries = [s for s in server.seen if s.path.endswith("t.mbox.gz")]
    assert len(tries) == 2 * MAX_THREAD_TRIES  # each try is one attempt and one retry, never more
    assert store.todo_hits() == []
    (trouble,) = store.status().troubled
    assert trouble.given_up and trouble.tries == MAX_THREAD_TRIES and "truncated" in trouble.error
    assert polls > MAX_THREAD_TRIES  # the backoff skipped polls in between
    before = len(server.seen)
    run_once(client, store, None, config, None, now=now + 86400, review=lambda *a: None)
    assert not [s for s in server.seen[before:] if s.path.endswith("t.mbox.gz")]


def test_an_unreachable_server_ends_the_poll_without_counting_tries(server: FaultServer) -> None:
    server.route = lore_route(Reply(200, gz(MBOX)))
    config = make_config(server.url)
    store = StateStore(":memory:")
    with store.transaction():
        store.add_hits("kvmarm", ["old-1@x", "old-2@x"], 0.0)  # threads left from an earlier poll
    dead = make_config(f"http://127.0.0.1:{free_port_closed()}")
    out = run_once(LoreClient(dead.lore, sleep=Sleeps()), store, None, dead, None, now=1e9,
                   review=lambda *a: None)
    assert [o.action for o in out] == ["error", "error"]  # the search, then the first thread: stop
    assert all(len(o.detail) < 80 for o in out)
    assert store.status().troubled == () and len(store.todo_hits()) == 2


def test_an_old_state_file_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
                     "CREATE TABLE messages (msgid TEXT PRIMARY KEY, list TEXT, first_seen REAL NOT NULL, "
                     "hit INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, "
                     "tries INTEGER NOT NULL DEFAULT 0);"
                     "INSERT INTO messages (msgid, list, first_seen, hit) VALUES ('a@b', 'kvmarm', 1, 1);")
    db.commit()
    db.close()
    with StateStore(path) as store:
        assert store.schema_version == 2
        assert store.todo_hits() == [("kvmarm", "a@b")]
        with store.transaction():
            store.retry_later("a@b", 5.0, "boom")
        assert store.next_try("a@b") == 5.0


# --- reviewbot watch --once, as cron runs it ------------------------------------------------------


def watch_config(tmp_path: Path, url: str, *, queries: int = 1, **lore: Any) -> Path:
    cfg = {
        "lore": {"base-url": url, "connect-timeout": 2, "read-timeout": 5, **lore},
        "watch": {"queries": [{"list": name, "query": "dfn:arch/arm64/kvm/hyp"}
                              for name in ("kvmarm", "linux-arm-kernel")[:queries]],
                  "state": str(tmp_path / "watch.sqlite")},
        "outbox": {"path": str(tmp_path / "outbox.mbox"), "database": str(tmp_path / "outbox.sqlite")},
        "bot": {"email": "reviewbot@example.org"},
    }
    path = tmp_path / "watch.yaml"
    path.write_text(json.dumps(cfg))
    return path


def watch(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewbot", "watch", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def thread_requests(server: FaultServer) -> int:
    return len(server.requests_to("t.mbox.gz"))


def test_watch_once_cuts_a_dripping_thread_and_remembers_it(server: FaultServer, tmp_path: Path) -> None:
    server.route = lore_route(Reply(200, gz(MBOX) * 20, drip=0.05))
    cfg = watch_config(tmp_path, server.url, **{"request-deadline": 1})
    run = watch(cfg, "--once")
    assert run.returncode == 1, run.stderr
    assert "no complete answer within 1 s" in run.stdout
    assert thread_requests(server) == 1
    again = watch(cfg, "--once")  # too soon: the thread waits for its backoff
    assert again.returncode == 0 and thread_requests(server) == 1
    status = watch(cfg, "--status")
    assert re.search(r"thread failing \(1 tries\), next try at .*<hit-1@example.org> on kvmarm: "
                     r".*no complete answer", status.stdout), status.stdout


def test_watch_once_does_not_wait_out_a_long_retry_after(server: FaultServer, tmp_path: Path) -> None:
    server.route = lambda m, p, q: Reply(429, headers={"Retry-After": "599"})
    run = watch(watch_config(tmp_path, server.url, queries=2), "--once")
    assert run.returncode == 1
    assert run.stdout.count("the server asks to wait 599 s") == 2
    assert len(server.seen) == 1  # the second query did not ask again
    assert "retry" not in run.stderr


def test_watch_once_gives_up_a_truncated_thread_for_this_poll(server: FaultServer, tmp_path: Path) -> None:
    server.route = lore_route(Reply(200, truncated_gz(MBOX * 100)))
    cfg = watch_config(tmp_path, server.url)
    run = watch(cfg, "--once")
    assert run.returncode == 1 and "truncated" in run.stdout
    assert thread_requests(server) == 2
    with StateStore(tmp_path / "watch.sqlite") as store:
        (trouble,) = store.status().troubled
    assert trouble.msgid == HIT and trouble.tries == 1 and not trouble.given_up
    assert trouble.next_try is not None and trouble.next_try > time.time() + THREAD_BACKOFF / 2


def test_watch_once_refuses_a_gzip_bomb(server: FaultServer, tmp_path: Path) -> None:
    server.route = lore_route(Reply(200, gzip_bomb(BOMB)))
    run = watch(watch_config(tmp_path, server.url, **{"max-response-bytes": 4 * 1024 * 1024}), "--once")
    assert run.returncode == 1
    assert "decompresses to more than 4194304 bytes; refused" in run.stdout
    assert thread_requests(server) == 1


def test_watch_once_does_not_follow_a_redirect_elsewhere(server: FaultServer, elsewhere: FaultServer,
                                                         tmp_path: Path) -> None:
    server.route = lambda m, p, q: Reply(302, headers={"Location": f"{elsewhere.url}/kvmarm/"})
    run = watch(watch_config(tmp_path, server.url), "--once")
    assert run.returncode == 1 and "refused: not one of the configured servers" in run.stdout
    assert elsewhere.seen == []


def test_watch_once_against_a_refused_port_says_so_once_per_query(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port_closed()}"
    run = watch(watch_config(tmp_path, dead, queries=2), "--once")
    assert run.returncode == 1
    warnings = run.stderr.strip().splitlines()
    assert len(warnings) == 2 and all(len(w) < 120 for w in warnings), warnings
    assert all(w.endswith(f"{dead}: connection refused") for w in warnings)
    assert run.stdout.count("connection refused") == 2


def test_the_watch_daemon_stamps_its_log(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port_closed()}"
    log = tmp_path / "watch.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "reviewbot", "watch", "--config",
                                 str(watch_config(tmp_path, dead))],
                                stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert wait_until(lambda: "next poll in" in log.read_text(), timeout=30), log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    lines = [line for line in log.read_text().splitlines() if line]
    assert lines and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} reviewbot: ", line) for line in lines)


# --- random faults, seeded ----------------------------------------------------------------------


def random_fault(rng: Any, elsewhere: str) -> Reply:
    """One of the faults above, or a good answer, at random."""
    roll = rng.randrange(12)
    if roll == 0:
        return Reply(rng.choice([500, 502, 503]))
    if roll == 1:
        return Reply(429, headers={"Retry-After": str(rng.choice([0, 1, 5, 29, 31, 599, 86400]))})
    if roll == 2:
        return Reply(200, truncated_gz(MBOX * 50))
    if roll == 3:
        return Reply(200, b"\x89PNG garbage")
    if roll == 4:
        return Reply(302, headers={"Location": rng.choice([f"{elsewhere}/kvmarm/", "/kvmarm/again",
                                                           "https://127.0.0.1:1/x"])})
    if roll == 5:
        return Reply(200, gzip_bomb(8 * 1024 * 1024))
    if roll == 6:
        return Reply(drop=True)
    if roll == 7:
        return Reply(200, feed(HIT) * 20, drip=0.05)
    return Reply(-1)  # the route's own answer


def test_random_faults_never_hold_a_poll_nor_reach_another_host(server: FaultServer, elsewhere: FaultServer) -> None:
    import random
    trials = int(os.environ.get("REVIEWBOT_FAULT_TRIALS", "40"))
    rng = random.Random(12)
    good = lore_route(Reply(200, gz(MBOX)))

    def route(method: str, path: str, query: dict[str, str]) -> Reply:
        reply = random_fault(rng, elsewhere.url)
        if reply.status == -1:
            hits = [f"r{rng.randrange(30)}@x" for _ in range(rng.randrange(3))]
            if path.endswith("/t.mbox.gz"):
                return good(method, path, query)
            return Reply(200, feed(*hits)) if query.get("x") == "A" else Reply(404)
        return reply

    server.route = route
    config = make_config(server.url, request_deadline=0.3, max_response_bytes=1024 * 1024)
    sleeps = Sleeps()
    client = LoreClient(config.lore, sleep=sleeps, random=rng.random, retries=3, backoff=1.0)
    store = StateStore(":memory:")
    now = 1_700_000_000.0
    for _ in range(trials):
        before_sleep = sum(sleeps)
        out = run_once(client, store, None, config, None, now=now, review=lambda *a: None, max_sleep=30)
        assert sum(sleeps) - before_sleep <= 30  # the sleep budget of one --once
        assert all(o.action in ("polled", "error") for o in out)
        now += 600
    assert elsewhere.seen == []
    threads: dict[str, int] = {}
    for seen in server.requests_to("t.mbox.gz"):
        threads[seen.path] = threads.get(seen.path, 0) + 1
    # each try of a thread is at most 4 attempts (retries) of at most 6 hops (redirects)
    assert max(threads.values(), default=0) <= MAX_THREAD_TRIES * 4 * 6
    for trouble in store.status(recent=1000).troubled:
        assert trouble.tries <= MAX_THREAD_TRIES
        assert trouble.given_up == (trouble.tries >= MAX_THREAD_TRIES)
