"""``reviewbot backtest`` over small archives built here: public-inbox v1
and v2 (two epochs, a deleted message) written with ``git fast-import``,
the same mail as an mbox and a maildir; series in two revisions, cover
letters, replies, a patch no rule applies to and malformed messages.  The
local modes and a real Dask cluster on loopback give the same findings."""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import json
import os
import queue
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, make_patch, run_cli
from gitrepo import git_env
from reviewbot import records

SEED = (EXAMPLES / "seed-series.mbox").read_bytes()
V1_DATE = "Wed, 29 Nov 2017 18:20:5{} +0000"
V2_DATE = "Mon, 08 Jan 2018 10:00:0{} +0000"


def _seed_messages() -> list[bytes]:
    from reviewbot.mail.parse import split_mbox

    return [raw for _, raw in split_mbox(SEED)]


def _revision(raw: bytes, number: int) -> bytes:
    """The seed message as revision 2, sent later (new Message-IDs)."""
    text = raw.decode()
    text = re.sub(r"\[PATCH (\d)/4\]", r"[PATCH v2 \1/4]", text)
    text = text.replace(".git.ada@example.org>", ".v2.git.ada@example.org>")
    return re.sub(r"^Date: .*$", "Date: " + V2_DATE.format(number), text, count=1, flags=re.MULTILINE).encode()


def _reply(raw: bytes, number: int) -> bytes:
    msgid = re.search(rb"^Message-Id: <([^>]+)>", raw, re.MULTILINE | re.IGNORECASE).group(1).decode()
    subject = re.search(rb"^Subject: (.*)$", raw, re.MULTILINE).group(1).decode()
    quoted = "".join(f"> {line}\n" for line in raw.decode().split("\n\n", 1)[1].splitlines()[:40])
    return (f"From: Rev Iewer <rev@example.org>\nMessage-Id: <reply.{number}@example.org>\n"
            f"In-Reply-To: <{msgid}>\nReferences: <{msgid}>\nDate: {V1_DATE.format(9)}\n"
            f"Subject: Re: {subject}\n\n{quoted}\nLooks fine.\n").encode()


def archive_messages() -> list[bytes]:
    """The test archive, in delivery order."""
    seed = _seed_messages()
    unrelated = make_patch("Documentation/arm64/booting.rst", "@@ -1,1 +1,2 @@\n intro\n+more\n",
                           subject="[PATCH] Documentation: arm64: say more", msgid="docs.1@example.org")
    broken = make_patch("arch/arm64/kvm/hyp/entry.S", "@@ -1,3 +1,9 @@\n a\n+b\n",
                        subject="[PATCH] KVM: arm64: a diff whose counts lie", msgid="broken.1@example.org")
    garbage = b"this is not a mail message at all\x00\x01\n\nno headers here\n"
    messages = list(seed)
    messages += [_reply(seed[1], 1), _reply(seed[2], 2), unrelated.encode(), broken.encode(), garbage]
    messages += [_revision(raw, i) for i, raw in enumerate(seed)]
    messages.append(_reply(_revision(seed[3], 3), 3))
    return [m.split(b"\n", 1)[1] if m.startswith(b"From ") else m for m in messages]


SPAM = (b"From: Spammer <spam@example.com>\nMessage-Id: <spam.1@example.com>\nDate: " + V1_DATE.format(8).encode()
        + b"\nSubject: [PATCH] buy now\n\ndiff --git a/arch/arm64/kvm/hyp/x.S b/arch/arm64/kvm/hyp/x.S\n"
        + b"--- a/arch/arm64/kvm/hyp/x.S\n+++ b/arch/arm64/kvm/hyp/x.S\n@@ -1 +1 @@\n-a\n+ldr x0, =spam\n")


def _fast_import(repo: Path, commits: list[list[tuple[str, str, bytes | None]]], env: dict[str, str]) -> None:
    """Commits of (op, path, data) changes: ``M`` writes data, ``D`` deletes."""
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=env)
    stream = bytearray()
    for number, changes in enumerate(commits):
        stream += (f"commit refs/heads/master\nauthor A <a@example.org> {1500000000 + number} +0000\n"
                   f"committer A <a@example.org> {1500000000 + number} +0000\ndata 1\nm\n").encode()
        for op, path, data in changes:
            if op == "D":
                stream += f"D {path}\n".encode()
            else:
                assert data is not None
                stream += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        stream += b"\n"
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream), check=True, env=env)


def _mbox(messages: list[bytes]) -> bytes:
    out = bytearray()
    for raw in messages:
        body = re.sub(rb"^(>*From )", rb">\1", raw, flags=re.MULTILINE)
        out += b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + body.rstrip(b"\n") + b"\n\n"
    return bytes(out)


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same mail as a v2 inbox (two epochs; spam added then deleted), a
    v1 repository, an mbox and a maildir."""
    root = tmp_path_factory.mktemp("archives")
    env = git_env(root / "home")
    messages = archive_messages()
    half = len(messages) // 2
    epoch0 = [[("M", "m", raw)] for raw in messages[:half]]
    epoch0 += [[("M", "m", SPAM)], [("D", "m", None), ("M", "d", SPAM)]]
    _fast_import(root / "v2" / "git" / "0.git", epoch0, env)
    _fast_import(root / "v2" / "git" / "1.git", [[("M", "m", raw)] for raw in messages[half:]], env)
    v1 = []
    for number, raw in enumerate(messages):
        found = re.search(rb"^Message-Id: <([^>]+)>", raw, re.MULTILINE | re.IGNORECASE)
        digest = hashlib.sha1(found.group(1) if found else str(number).encode()).hexdigest()
        v1.append([("M", f"{digest[:2]}/{digest[2:]}", raw)])
    _fast_import(root / "v1.git", v1, env)
    (root / "all.mbox").write_bytes(_mbox(messages))
    maildir = root / "maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for number, raw in enumerate(messages):
        (maildir / "cur" / f"{number:04d}.test:2,S").write_bytes(raw)
    return {"v2": root / "v2", "v1": root / "v1.git", "mbox": root / "all.mbox", "maildir": maildir}


def backtest_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run_cli(capsys, "backtest", "--format", "json", "--no-cache", *argv)
    assert code == 0, err
    return json.loads(out)


def _keys(report: dict, name: str = "findings") -> list[tuple]:
    return [(f["rule"], f["msgid"], f["path"], f["line"], f["fingerprint"], f["message"]) for f in report[name]]


SEED_RULES = {"arm64.comment.stale", "arm64.hyp.missing-kern-hyp-va",
              "arm64.sysreg.macro-temp-never-written", "arm64.sysreg.msr-mrs-operand-order"}


def test_every_source_kind_gives_the_same_findings(archives: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    reports = {kind: backtest_json(capsys, str(path), "--jobs", "1") for kind, path in archives.items()}
    v2 = reports["v2"]
    assert {f["rule"] for f in v2["findings"]} == SEED_RULES
    # both revisions reviewed, each finding with its lore link; fingerprints stable across revisions
    by_revision = {rev: sorted(f["fingerprint"] for f in v2["findings"] if (".v2." in f["msgid"]) == rev)
                   for rev in (False, True)}
    assert len(by_revision[False]) == 4 and by_revision[False] == by_revision[True]
    assert all(f["link"] == f"https://lore.kernel.org/r/{f['msgid']}" for f in v2["findings"])
    summary = v2["summary"]
    assert summary["series"] == 4  # seed v1, seed v2, the docs patch, the broken patch
    assert summary["series_reviewed"] == 3 and summary["series_skipped"] == 1
    assert summary["replies"] == 3 and summary["cover_letters"] == 2
    assert summary["messages"] == len(archive_messages())  # the deleted spam is not read
    assert summary["malformed"] == 1 and "no header block" in v2["malformed"][0]["problem"]
    for kind in ("v1", "mbox", "maildir"):
        assert sorted(_keys(reports[kind])) == sorted(_keys(v2)), kind
        assert reports[kind]["summary"]["series"] == summary["series"], kind


def test_mail_two_sources_hold_is_reviewed_once(archives: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    # a patch sent to two lists is in both archives: the second copy is counted, not reviewed again
    alone = backtest_json(capsys, str(archives["v1"]), "--jobs", "1")
    both = backtest_json(capsys, str(archives["v1"]), str(archives["mbox"]), "--jobs", "1")
    assert sorted(_keys(both)) == sorted(_keys(alone))
    summary = both["summary"]
    assert summary["duplicates"] == len(archive_messages()) - 1  # all but the one without a Message-ID
    assert (summary["patches"], summary["series"]) == (alone["summary"]["patches"], alone["summary"]["series"])
    out_file = tmp_path / "report.txt"
    assert run_cli(capsys, "backtest", "--no-cache", str(archives["v1"]), str(archives["maildir"]),
                   "-o", str(out_file))[0] == 0
    assert f"{len(archive_messages()) - 1} also in an earlier source" in out_file.read_text()


def test_local_workers_and_a_dask_cluster_agree(archives: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    from reviewbot.backtest import runner

    monkeypatch.setattr(runner, "SHARD_SERIES", 1)  # several shards even for this small archive
    one = backtest_json(capsys, str(archives["v2"]), str(archives["mbox"]), "--jobs", "1")
    two = backtest_json(capsys, str(archives["v2"]), str(archives["mbox"]), "--jobs", "2")
    assert one["summary"]["shards"] >= 3
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        on_dask = backtest_json(capsys, str(archives["v2"]), str(archives["mbox"]),
                                "--scheduler", cluster.scheduler_address)
        worker = next(iter(cluster.scheduler_info["workers"]))
        code, _, err = run_cli(capsys, "backtest", "--no-cache", str(archives["mbox"]), "--scheduler", worker)
        assert code == 2 and f"--scheduler {worker}: a Dask Worker, not the scheduler" in err
    assert _keys(one) and _keys(one) == _keys(two) == _keys(on_dask)
    strip = ("seconds",)
    assert ({k: v for k, v in one["summary"].items() if k not in strip}
            == {k: v for k, v in on_dask["summary"].items() if k not in strip})


class _Stranger(socketserver.BaseRequestHandler):
    """A TCP service on loopback that is not Dask: writes ``greeting``
    (if any) on accept, then keeps the connection until the peer goes."""

    greeting = b""

    def handle(self) -> None:
        if self.greeting:
            self.request.sendall(self.greeting)
        while self.request.recv(4096):
            pass


class _SshLike(_Stranger):
    greeting = b"SSH-2.0-OpenSSH_9.2\r\n"


class _Silent(http.server.BaseHTTPRequestHandler):
    """An HTTP server: it waits for a request line that Dask never sends."""


@contextmanager
def _serving(handler: type[socketserver.BaseRequestHandler]) -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _not_quite_a_scheduler() -> Iterator[str]:
    """A Dask server that says it is a scheduler but does not register the
    client: the check passes, the Client fails to start (not with an
    OSError, so Dask does not close it) and must be closed at once."""
    from distributed.core import Server

    async def register(comm: object, **kwargs: object) -> None:
        await comm.write([{"op": "not-stream-start"}])  # type: ignore[attr-defined]

    ready: queue.Queue[str] = queue.Queue()
    stop = threading.Event()

    async def serve() -> None:
        server = Server({"identity": lambda **kwargs: {"type": "Scheduler"}, "register-client": register})
        await server.listen("tcp://127.0.0.1:0")
        ready.put(server.address)
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await server.close()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield ready.get(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=10)


def _closed_port() -> Iterator[str]:
    from public_inbox import free_port

    yield f"tcp://127.0.0.1:{free_port()}"


def _bad_scheme() -> Iterator[str]:
    yield "bogus://x"


@pytest.mark.parametrize("server, deadline, problem", [
    (contextmanager(_closed_port), None, "no scheduler listening (connection refused)"),
    (contextmanager(_bad_scheme), None, "unknown address scheme 'bogus', expected tcp:// or tls://"),
    (lambda: _serving(_SshLike), None, "not a Dask scheduler (it answered something other than Dask's protocol)"),
    (_not_quite_a_scheduler, None, "the Dask client did not start (AssertionError)"),
    (lambda: _serving(_Stranger), "2s", "not a Dask scheduler (no answer to Dask's handshake within 2 s)"),
    (lambda: _serving(_Silent), "2s", "not a Dask scheduler (no answer to Dask's handshake within 2 s)"),
], ids=["closed-port", "bad-scheme", "ssh-banner", "client-fails", "silent", "http"])
def test_a_scheduler_address_that_is_no_dask_scheduler(archives: dict[str, Path], server: Callable,
                                                       deadline: str | None, problem: str) -> None:
    """One line naming the address and what is wrong, exit 2, in seconds
    (a peer that says nothing: Dask's connect timeout, here 2 s), and no
    traceback from a Dask Client at exit."""
    pytest.importorskip("distributed")
    env = dict(os.environ)
    env.pop("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", None)  # Dask's 30 s
    if deadline is not None:
        env["DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"] = deadline
    with server() as address:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "reviewbot", "backtest", "--no-cache", "--jobs", "1",
                               str(archives["mbox"]), "--scheduler", address],
                              check=False, capture_output=True, text=True, env=env, timeout=40)
        took = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()  # nothing else: no traceback, no 'Exception ignored'
    assert line.startswith(f"reviewbot: error: --scheduler {address}: {problem}")
    assert took < (20 if deadline is None else 40)  # well within Dask's 30 s when nothing need be waited for


def test_against_reports_exactly_what_a_rule_change_does(archives: dict[str, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old-rules"
    shutil.copytree(ROOT / "rules", old)
    (old / "arm64-comment" / "arm64.comment.stale.yaml").unlink()  # the new pack adds this rule
    literal = old / "arm64-hyp" / "arm64.hyp.missing-kern-hyp-va.yaml"
    literal.write_text(literal.read_text().replace("at EL2 without kern_hyp_va\"", "at EL2 (an old message)\""))
    swap = (old / "arm64-sysreg" / "arm64.sysreg.msr-mrs-operand-order.yaml").read_text()
    (old / "arm64-sysreg" / "arm64.sysreg.retired.yaml").write_text(  # the new pack drops this one
        swap.replace("id: arm64.sysreg.msr-mrs-operand-order", "id: arm64.sysreg.retired"))
    current = backtest_json(capsys, str(archives["v2"]))
    diff = backtest_json(capsys, str(archives["v2"]), "--against", str(old))
    of_rule = lambda rule: sorted(k for k in _keys(current) if k[0] == rule)  # noqa: E731
    assert sorted(_keys(diff, "added")) == of_rule("arm64.comment.stale")
    assert sorted((k[1], k[2], k[3]) for k in _keys(diff, "gone")) == \
        sorted((k[1], k[2], k[3]) for k in of_rule("arm64.sysreg.msr-mrs-operand-order"))
    assert {f["rule"] for f in diff["gone"]} == {"arm64.sysreg.retired"}
    changed = diff["changed"]
    assert sorted(tuple(c["after"][k] for k in ("rule", "msgid", "path", "line", "fingerprint", "message"))
                  for c in changed) == of_rule("arm64.hyp.missing-kern-hyp-va")
    assert all("an old message" in c["before"]["message"] for c in changed)
    counts = diff["difference"]
    assert counts["arm64.comment.stale"] == {"before": 0, "after": 2, "added": 2, "gone": 0, "changed": 0}
    assert counts["arm64.sysreg.retired"]["gone"] == 2
    assert "findings" not in diff  # only the difference is reported
    code, text, _ = run_cli(capsys, "backtest", "--no-cache", str(archives["v2"]), "--against", str(old))
    assert code == 0 and "2 findings added, 2 gone, 2 changed" in text


def test_against_a_git_ref_of_this_repository(archives: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", "HEAD:rules"], capture_output=True).returncode:
        pytest.skip("not a git checkout with rules/ at HEAD")
    diff = backtest_json(capsys, str(archives["v2"]), "--against", "HEAD")
    assert diff["summary"]["findings"] == 8
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "rules/"], capture_output=True, text=True)
    if not dirty.stdout.strip():
        assert diff["added"] == diff["gone"] == diff["changed"] == []
    code, _, err = run_cli(capsys, "backtest", "--no-cache", str(archives["v2"]), "--against", "no-such-ref-x")
    assert code == 2 and "no-such-ref-x" in err


def test_against_from_an_installed_reviewbot_and_odd_directories(archives: dict[str, Path], tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", "HEAD:rules"], capture_output=True).returncode:
        pytest.skip("not a git checkout with rules/ at HEAD")
    from reviewbot import resources

    # installed (pip install .): the packaged rules are in no repository; the checkout is where one runs it
    installed = tmp_path / "site-packages" / "reviewbot" / "_data"
    real = resources.data_path
    monkeypatch.setattr(resources, "data_path", lambda name: installed / name if name == "rules" else real(name))
    monkeypatch.chdir(ROOT)
    assert backtest_json(capsys, str(archives["v2"]), "--against", "HEAD")["summary"]["findings"] == 8
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "backtest", "--no-cache", str(archives["v2"]), "--against", "HEAD")
    assert code == 2 and "neither a directory nor a git ref" in err and "current directory" in err
    # a checkout's top is taken for its rules/; a directory without a rule file is refused
    assert backtest_json(capsys, str(archives["v2"]), "--against", str(ROOT))["added"] == []
    empty = tmp_path / "no-rules"
    empty.mkdir()
    code, _, err = run_cli(capsys, "backtest", "--no-cache", str(archives["v2"]), "--against", str(empty))
    assert code == 2 and err.strip().endswith("no rule file (*.yaml) in this directory")


def test_labels_round_trip(archives: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    labels = tmp_path / "labels.yaml"
    first = backtest_json(capsys, str(archives["v2"]), "--labels", str(labels), "--write-labels")
    written = yaml.safe_load(labels.read_text())
    fingerprints = {f["fingerprint"] for f in first["findings"]}
    assert set(written) == fingerprints and len(fingerprints) == 4
    assert all(entry["verdict"] == "unjudged" and entry["link"].startswith("https://lore.kernel.org/r/")
               for entry in written.values())
    swap = next(fp for fp, e in written.items() if e["rule"] == "arm64.sysreg.msr-mrs-operand-order")
    literal = next(fp for fp, e in written.items() if e["rule"] == "arm64.hyp.missing-kern-hyp-va")
    written[swap].update(verdict="right", by="Ada Author <ada@example.org>", note="the 2017 bug")
    written[literal].update(verdict="wrong", note="a false positive, for the test")
    labels.write_text(yaml.safe_dump(written))
    again = backtest_json(capsys, str(archives["v2"]), "--labels", str(labels))
    judged = again["summary"]["labels"]
    assert judged["arm64.sysreg.msr-mrs-operand-order"] == {"right": 1, "wrong": 0, "unjudged": 0, "precision": 1.0}
    assert judged["arm64.hyp.missing-kern-hyp-va"] == {"right": 0, "wrong": 1, "unjudged": 0, "precision": 0.0}
    assert judged["arm64.comment.stale"]["unjudged"] == 1 and judged["arm64.comment.stale"]["precision"] is None
    assert {f["verdict"] for f in again["findings"] if f["fingerprint"] == swap} == {"right"}
    assert yaml.safe_load(labels.read_text()) == written  # reading does not rewrite the file
    code, text, _ = run_cli(capsys, "backtest", "--no-cache", str(archives["v2"]), "--labels", str(labels))
    assert code == 0 and "to judge: 2" in text and "100%" in text
    # each finding to judge is shown at the mail --write-labels links (the first revision)
    todo = text.split("to judge: 2\n")[1]
    for fingerprint, entry in written.items():
        if entry["verdict"] == "unjudged":
            assert f"{fingerprint} {entry['rule']} {entry['link']}" in todo
    # --write-labels keeps the judgements and adds nothing new
    backtest_json(capsys, str(archives["v2"]), "--labels", str(labels), "--write-labels")
    assert yaml.safe_load(labels.read_text())[swap]["verdict"] == "right"


def test_write_labels_appends_to_a_judged_file(archives: dict[str, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The judges' file keeps its comments and layout: new findings are
    appended as unjudged entries, nothing above them is rewritten."""
    import yaml

    scratch = tmp_path / "scratch.yaml"
    found = backtest_json(capsys, str(archives["v2"]), "--labels", str(scratch), "--write-labels")
    first, *others = sorted({f["fingerprint"] for f in found["findings"]})
    labels = tmp_path / "labels.yaml"
    judged = f'# how these were judged: by reading each thread\n"{first}":\n  verdict: right\n  note: "read it"\n'
    labels.write_text(judged)
    backtest_json(capsys, str(archives["v2"]), "--labels", str(labels), "--write-labels")
    text = labels.read_text()
    assert text.startswith(judged)
    data = yaml.safe_load(text)
    assert data[first]["verdict"] == "right" and {data[fp]["verdict"] for fp in others} == {"unjudged"}
    assert set(data) == {first, *others}


@pytest.mark.parametrize("content, problem", [
    ("- just a list\n", "maps fingerprints to judgements"),
    ("abc: {verdict: maybe}\n", "verdict 'maybe' is not one of right, wrong, unjudged"),
    ("abc: {verdict: right, colour: red}\n", "unknown key 'colour'"),
    ("abc: [unclosed\n", "not YAML or JSON"),
])
def test_a_broken_labels_file_is_a_configuration_error(archives: dict[str, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str], content: str,
                                                       problem: str) -> None:
    labels = tmp_path / "labels.yaml"
    labels.write_text(content)
    code, out, err = run_cli(capsys, "backtest", "--no-cache", str(archives["mbox"]), "--labels", str(labels))
    assert code == 2 and str(labels) in err and problem in err and out == ""


def test_an_interrupted_run_resumes_from_its_checkpoints(archives: dict[str, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewbot.backtest import runner
    from reviewbot.backtest.progress import Progress
    from reviewbot.backtest.report import as_json
    from reviewbot.backtest.run import Plan, backtest
    from reviewbot.config import load_config
    from reviewbot.rules.loader import load_rules

    monkeypatch.setattr(runner, "SHARD_SERIES", 1)
    config = load_config()
    plan = Plan((str(archives["v2"]),), config, load_rules(config), checkpoints=tmp_path / "cache")
    quiet = Progress(None, False)
    reviewed: list[int] = []

    class Interrupted(Exception):
        pass

    def stop_after_two(number: int) -> None:
        reviewed.append(number)
        if len(reviewed) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        backtest(plan, quiet, on_shard=stop_after_two)
    assert reviewed == [0, 1]
    resumed: list[int] = []
    outcome = backtest(plan, quiet, on_shard=resumed.append)
    assert outcome.shards == 3 and outcome.resumed == 2 and resumed == [2]
    fresh = backtest(Plan(plan.sources, config, plan.rules), quiet)
    assert json.loads(as_json(outcome))["findings"] == json.loads(as_json(fresh))["findings"]
    again: list[int] = []
    assert backtest(plan, quiet, on_shard=again.append).resumed == 3 and again == []
    # settings the findings do not depend on keep the checkpoints; those they do, not
    elsewhere = load_config(overrides=["bot.name=Another Bot", "smtp.port=2525", "lore.read-timeout=5"])
    assert backtest(records.replace(plan, config=elsewhere), quiet).resumed == 3
    narrower = load_config(overrides=["context.hyp-paths=[arch/arm64/kvm/hyp/**]"])
    assert backtest(records.replace(plan, config=narrower), quiet).resumed == 0


def test_since_and_until_keep_mail_by_date(archives: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    later = backtest_json(capsys, str(archives["v2"]), "--since", "2018-01-01")
    assert later["findings"] and all(".v2." in f["msgid"] for f in later["findings"])
    earlier = backtest_json(capsys, str(archives["v2"]), "--until", "2017-12-31")
    assert earlier["findings"] and not any(".v2." in f["msgid"] for f in earlier["findings"])
    assert later["summary"]["outside_range"] + later["summary"]["messages"] - later["summary"]["outside_range"] \
        == later["summary"]["messages"]
    assert sorted(_keys(later) + _keys(earlier)) == sorted(_keys(backtest_json(capsys, str(archives["v2"]))))
    code, _, err = run_cli(capsys, "backtest", str(archives["v2"]), "--since", "last tuesday")
    assert code == 2 and "--since 'last tuesday': not a date" in err


def test_text_report_and_usage_errors(archives: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "report.txt"
    code, out, err = run_cli(capsys, "backtest", "--no-cache", str(archives["maildir"]), "-o", str(out_file))
    assert code == 0 and out == "" and err == ""  # no progress when stderr is not a terminal
    text = out_file.read_text()
    assert "findings: 8 on 4 patches" in text
    assert "https://lore.kernel.org/r/" in text and "arch/arm64/" in text
    assert re.search(r"arm64\.sysreg\.msr-mrs-operand-order\s+2\s+0\s+0\s+2", text)
    code, _, err = run_cli(capsys, "backtest", str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere: no such file or directory" in err
    code, _, err = run_cli(capsys, "backtest", str(archives["mbox"]), "--write-labels")
    assert code == 2 and "--write-labels needs --labels" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, "backtest", str(empty))
    assert code == 2 and "neither a public-inbox archive" in err


def test_what_is_no_archive_and_ranges_and_outputs_that_cannot_be(archives: dict[str, Path], tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\nnot mail at all\n")
    code, _, err = run_cli(capsys, "backtest", "--no-cache", str(text))
    assert code == 2 and err.strip() == f"reviewbot: error: {text}: no readable message in it (1 malformed): not an mbox?"
    env = git_env(tmp_path / "home")
    empty_repo, code_repo = tmp_path / "empty.git", tmp_path / "code"
    subprocess.run(["git", "init", "-q", "--bare", str(empty_repo)], check=True, env=env)
    subprocess.run(["git", "init", "-q", str(code_repo)], check=True, env=env)
    (code_repo / "README").write_text("a project, not an archive\n")
    subprocess.run(["git", "-C", str(code_repo), "add", "README"], check=True, env=env)
    subprocess.run(["git", "-C", str(code_repo), "commit", "-q", "-m", "x"], check=True, env=env)
    code, _, err = run_cli(capsys, "backtest", "--no-cache", str(empty_repo))
    assert code == 2 and err.strip().endswith("a git repository without a commit: not a public-inbox archive")
    code, _, err = run_cli(capsys, "backtest", "--no-cache", str(code_repo))
    assert code == 2 and err.strip().endswith("no message in it: not a public-inbox archive, mbox or maildir")
    # an output that cannot be written fails before the run, not after it
    code, _, err = run_cli(capsys, "backtest", "--no-cache", str(archives["mbox"]), "-o", str(tmp_path / "no" / "x"))
    assert code == 2 and "no directory" in err
    code, _, err = run_cli(capsys, "backtest", str(archives["mbox"]), "--since", "2021-01-01", "--until", "2020-01-01")
    assert code == 2 and "is not before --until" in err
    code, out, err = run_cli(capsys, "backtest", "--no-cache", str(archives["mbox"]), "--since", "2030-01-01")
    assert code == 0 and re.search(r"no message is dated between --since and --until; the sources hold mail "
                                   r"from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d", err)


def test_the_index_agrees_with_a_full_parse(archives: dict[str, Path]) -> None:
    """The first pass reads headers only; every field it keeps equals what
    parse_message gives (the benchmark checks this over real archives)."""
    from reviewbot.backtest.index import read_head
    from reviewbot.mail.parse import parse_message
    from reviewbot.mail.series import has_diff

    encoded = (b"From: =?UTF-8?q?J=C3=B6rg?= <j@example.org>\nMessage-Id: <enc.1@example.org>\n"
               b"Subject: =?UTF-8?q?=5BPATCH_v3_2/7=5D_KVM:_arm64:_f=C3=BCr?=\n"
               b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
               + __import__("base64").encodebytes(b"x\n---\ndiff --git a/arch/arm64/a.S b/arch/arm64/a.S\n"))
    from reviewbot.errors import MailParseError

    # header names in any case, the first line a header, folded values, a
    # name that ends like one the index wants, a header given twice
    shapes = [b"MESSAGE-ID: <up.1@example.org>\nX-Message-Id: <not.this@example.org>\nsubject: [PATCH] a\n"
              b"  folded\nIn-Reply-To:\n <irt.1@example.org>\nREFERENCES: <r.1@example.org>\n\t<r.2@example.org>\n"
              b"Message-Id: <second@example.org>\nDATE: Wed, 01 Nov 2017 18:20:52 +0000\nFrom: a <a@example.org>\n\n"
              b"Message-ID: <in.body@example.org>\n",
              b"X-Message-Id: <not.this@example.org>\nFrom: a <a@example.org>\nSubject: [PATCH] b\n\n"
              b"+++ b/first/line.S\n---\nIndex: last/line.c"]
    for raw in archive_messages() + [SPAM, encoded] + shapes:
        try:
            message = parse_message(raw, source="t")
        except MailParseError:
            with pytest.raises(MailParseError):
                read_head(raw, "t")
            continue
        head = read_head(raw, "t")
        assert (head.msgid, head.in_reply_to, head.references, head.subject, head.date) == \
            (message.msgid, message.in_reply_to, message.references, message.subject, message.date)
        if not message.subject.lower().startswith("re:"):
            assert head.diff == has_diff(message)
    assert read_head(encoded, "t").paths == ("arch/arm64/a.S",)
    assert read_head(shapes[0], "t").msgid == "up.1@example.org"
    assert read_head(shapes[1], "t").msgid is None
    assert read_head(shapes[1], "t").paths == ("first/line.S", "last/line.c")


def test_the_projects_own_labels_file_is_read_and_kept(tmp_path: Path) -> None:
    """bench/labels.yaml (severity, archive, occurrences, gone as well as
    the verdicts) loads, and writing it back keeps every key."""
    import yaml

    from reviewbot.backtest.labels import load_labels, write_labels

    labels = load_labels(ROOT / "bench" / "labels.yaml")
    assert labels and all(label.verdict in ("right", "wrong") for label in labels.values())
    copy = tmp_path / "labels.yaml"
    write_labels(copy, labels)
    original = yaml.safe_load((ROOT / "bench" / "labels.yaml").read_text())
    assert yaml.safe_load(copy.read_text()) == {fp: {k: v for k, v in e.items() if v not in ("", None)}
                                                for fp, e in original.items()}


def test_archive_readers_bound_git_pack_memory(archives: dict[str, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """git maps pack windows of up to 1 GiB by default; both readers of an
    archive ask for small windows so their memory does not grow with the pack."""
    from reviewbot.backtest import sources

    seen: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(args, *rest, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(list(args))
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(sources.subprocess, "Popen", recording_popen)
    repo = str(archives["v1"])
    blobs = [blob for blob, _ in sources.git_messages(repo)]
    assert blobs and all(data for _, data in sources.cat_file(repo, blobs[:3]))
    assert {cmd[cmd.index("-C") + 2] for cmd in seen} == {"log", "cat-file"}
    for cmd in seen:
        settings = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-c"]
        assert "core.packedGitWindowSize=4m" in settings and "core.packedGitLimit=64m" in settings


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A v1 repository of 2,000 copies of the seed series (their own
    Message-IDs and subjects): seconds of review for two workers."""
    root = tmp_path_factory.mktemp("big")
    messages = []
    for copy in range(2000):
        for raw in _seed_messages():
            text = raw.decode().replace(".git.ada@example.org>", f".{copy}.git.ada@example.org>")
            text = re.sub(r"^(Subject: .*)$", rf"\1 (copy {copy})", text, count=1, flags=re.MULTILINE)
            messages.append(text.split("\n", 1)[1].encode() if text.startswith("From ") else text.encode())
    _fast_import(root / "v1.git", [[("M", "m", raw)] for raw in messages], git_env(root / "home"))
    return root / "v1.git"


def _interrupt_midway(*argv: str) -> tuple[int, str, float]:
    """``reviewbot backtest ARGV`` stopped by Ctrl-C once it has reviewed
    some series: SIGINT to its process group, as a terminal sends it.
    (exit status, stderr, seconds from the interrupt to the exit)"""
    # a shell's background job ignores SIGINT, and so would the run, which
    # would then finish: the interrupt is given back its default here
    proc = subprocess.Popen([sys.executable, "-m", "reviewbot", "backtest", "--no-cache", "--progress", "always",
                             *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    try:
        seen = b""
        while not re.search(rb"reviewed [1-9][0-9]*/", seen):
            chunk = os.read(proc.stderr.fileno(), 4096)
            assert chunk, f"the run ended before it was interrupted: {seen.decode(errors='replace')}"
            seen += chunk
        os.killpg(proc.pid, signal.SIGINT)
        interrupted = time.monotonic()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # hung: no process of it outlives the test
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert out == b"", ("no report was expected: the run finished before the interrupt reached it; "
                        f"its progress then: {seen[-200:]!r}")
    return proc.returncode, (seen + err).decode(errors="replace"), time.monotonic() - interrupted


@pytest.mark.parametrize("where", ["local", "dask"])
def test_ctrl_c_is_reported_once_not_by_every_worker(big_archive: Path, where: str) -> None:
    """The local pool's workers leave the interrupt to the main process
    (with --scheduler they did the index pass and are idle): no worker
    prints a KeyboardInterrupt traceback, and the run stops at once."""
    if where == "local":
        code, err, took = _interrupt_midway(str(big_archive), "--jobs", "2")
    else:
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster:
            code, err, took = _interrupt_midway(str(big_archive), "--jobs", "2",
                                                "--scheduler", cluster.scheduler_address)
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert took < 20
