"""An outbox database that lost its history is refused, naming both files
(it would send every reply again); the default state is in one place
($XDG_STATE_HOME/reviewbot), whatever the current directory; a person
decides on an ambiguous reply with --status, --requeue and --dismiss."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import sqlite3
import threading
import urllib.parse
from pathlib import Path

import pytest

from reviewbot.bot.outbox import Outbox, send_pending
from reviewbot.bot.outbox_history import LostHistory, marker_path
from tests.conftest import make_patch, run_cli
from tests.test_outbox import Clock, queue_seed, smtp_config
from tests.smtp_server import SmtpServer


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    database = tmp_path / "outbox.sqlite"
    with Outbox(database, tmp_path / "outbox.mbox") as outbox:
        queue_seed(outbox)
        assert outbox.counts()["pending"] == 2
    return database


def test_a_database_truncated_to_nothing_is_refused(recorded: Path, tmp_path: Path) -> None:
    recorded.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        Path(str(recorded) + suffix).unlink(missing_ok=True)
    with pytest.raises(LostHistory) as info:
        Outbox(recorded, tmp_path / "outbox.mbox")
    assert str(info.value).startswith(f"{recorded}: the outbox database is empty (0 bytes), but "
                                      f"{marker_path(recorded)} says it held the record")
    assert recorded.stat().st_size == 0  # nothing was recreated


def test_a_deleted_database_is_refused_even_without_the_outbox_file(recorded: Path) -> None:
    recorded.unlink()
    with pytest.raises(LostHistory, match="is missing, but .*outbox.sqlite.id"):
        Outbox(recorded, None)
    assert not recorded.exists()


def test_a_new_database_beside_an_outbox_with_replies_is_refused(recorded: Path, tmp_path: Path) -> None:
    with pytest.raises(LostHistory, match=f"{tmp_path / 'other.sqlite'}: the outbox database is new, "
                                          f"but the outbox {tmp_path / 'outbox.mbox'} already holds"):
        Outbox(tmp_path / "other.sqlite", tmp_path / "outbox.mbox")


def test_a_replaced_database_is_refused(recorded: Path, tmp_path: Path) -> None:
    with Outbox(tmp_path / "elsewhere.sqlite", None):
        pass
    shutil.copy(tmp_path / "elsewhere.sqlite", recorded)
    Path(str(recorded) + "-wal").unlink(missing_ok=True)
    with pytest.raises(LostHistory, match="is not the one .* names"):
        Outbox(recorded, None)


def test_removing_the_marker_is_the_way_to_start_afresh(recorded: Path) -> None:
    recorded.write_bytes(b"")
    marker_path(recorded).unlink()
    with Outbox(recorded, None) as outbox:
        assert outbox.counts()["pending"] == 0
    assert marker_path(recorded).exists()


def test_the_way_to_start_afresh_is_said_whole(recorded: Path, tmp_path: Path) -> None:
    # beside an outbox that holds replies, removing the marker alone led to a
    # second refusal: the first says both steps
    outbox = tmp_path / "outbox.mbox"
    recorded.unlink()
    with pytest.raises(LostHistory) as info:
        Outbox(recorded, outbox)
    assert str(info.value).endswith(f"remove {marker_path(recorded)} and move {outbox} away (a new database "
                                    "beside its replies would send them again)")
    marker_path(recorded).unlink()
    outbox.rename(tmp_path / "old-outbox.mbox")
    with Outbox(recorded, outbox) as fresh:
        assert fresh.counts()["pending"] == 0


def test_a_database_from_before_ids_is_adopted(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite"
    with Outbox(database, None) as outbox:
        queue_seed(outbox)
    db = sqlite3.connect(database)
    db.execute("DELETE FROM meta")
    db.commit()
    db.close()
    marker_path(database).unlink()
    with Outbox(database, None) as outbox:
        assert outbox.counts()["pending"] == 2
    assert marker_path(database).read_text().startswith("reviewbot outbox ")


def test_the_cli_refuses_with_exit_2(recorded: Path, tmp_path: Path, capsys) -> None:
    recorded.write_bytes(b"")
    code, out, err = run_cli(capsys, "review", "--send", "--db", str(recorded), "--outbox",
                             str(tmp_path / "outbox.mbox"))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert str(recorded) in err and str(marker_path(recorded)) in err


def test_the_default_state_is_one_place_whatever_the_directory(tmp_path: Path, monkeypatch, capsys,
                                                               patch_factory) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    mbox = tmp_path / "p.mbox"
    mbox.write_text(make_patch("arch/arm64/kvm/hyp/switch.S",
                               "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"))
    for directory, written in (("one", 1), ("two", 0)):
        (tmp_path / directory).mkdir()
        monkeypatch.chdir(tmp_path / directory)
        code, out, _ = run_cli(capsys, "review", "--format", "json", str(mbox))
        summary = json.loads(out)
        assert code == 0 and summary["replies"]["written"] == written
        assert summary["outbox"]["database"] == str(tmp_path / "state/reviewbot/outbox.sqlite")
    assert not list((tmp_path / "one").iterdir()) and not list((tmp_path / "two").iterdir())


# --- a person decides -------------------------------------------------------------------------


def _ambiguous(tmp_path: Path, server: SmtpServer, monkeypatch) -> tuple[Path, list[str]]:
    """An outbox with two replies left 'sending' by a run that died."""
    database = tmp_path / "outbox.sqlite"
    with Outbox(database, None) as outbox:
        queue_seed(outbox)
        keys = [r.key for r in outbox.replies()]
        for key in keys:
            outbox._set(key, "sending", 1.0, expect="pending")
        ids = [r.reply_msgid for r in outbox.replies()]
    return database, ids


def _config(tmp_path: Path, server: SmtpServer) -> str:
    path = tmp_path / "bot.yaml"
    path.write_text(json.dumps({"smtp": {"host": server.host, "port": server.port,
                                         "opt-in-lists": ["kvmarm@lists.cs.columbia.edu"]}}))
    return str(path)


def test_status_requeue_and_dismiss(tmp_path: Path, smtp_server: SmtpServer, monkeypatch, capsys) -> None:
    database, (first, second) = _ambiguous(tmp_path, smtp_server, monkeypatch)
    where = ["--config", _config(tmp_path, smtp_server), "--db", str(database)]
    code, out, _ = run_cli(capsys, "review", "--send", *where)  # sweeps them to 'failed'
    assert code == 1 and "2 failed: delivery unknown, never resent by itself" in out
    assert run_cli(capsys, "review", "--send", *where)[0] == 1  # still, on every run
    code, out, _ = run_cli(capsys, "review", "--status", *where)
    assert code == 1 and "delivery unknown: 2" in out and first in out and second in out
    assert "archive: https://lore.kernel.org/all/" in out
    assert run_cli(capsys, "review", "--dismiss", first, *where)[0] == 0
    assert run_cli(capsys, "review", "--requeue", second, "--no-archive-check", *where)[0] == 0
    code, out, _ = run_cli(capsys, "review", "--send", *where)
    assert code == 0 and [str(r.message["Message-ID"]) for r in smtp_server.received] == [second]
    code, out, _ = run_cli(capsys, "review", "--status", *where)
    assert code == 0 and "1 sent" in out and "1 dismissed" in out
    code, _, err = run_cli(capsys, "review", "--requeue", "nosuch@example.org", *where)
    assert code == 2 and "no reply with Message-ID or key 'nosuch@example.org'" in err


def test_requeue_without_a_reachable_archive_says_what_to_do(tmp_path: Path, smtp_server: SmtpServer,
                                                            monkeypatch, capsys) -> None:
    database, (first, _) = _ambiguous(tmp_path, smtp_server, monkeypatch)
    where = ["--config", _config(tmp_path, smtp_server), "--db", str(database)]
    run_cli(capsys, "review", "--send", *where)
    code, _, err = run_cli(capsys, "review", "--requeue", first, "-c", "lore.base-url=http://127.0.0.1:9",
                           "-c", "lore.connect-timeout=1", *where)
    assert code == 2 and "cannot ask the archive whether" in err and "--no-archive-check" in err
    with Outbox(database, None) as outbox:
        assert outbox.counts()["failed"] == 2  # nothing changed


def test_send_pending_reports_what_waits_for_a_person(tmp_path: Path, smtp_server: SmtpServer,
                                                      monkeypatch) -> None:
    database, _ = _ambiguous(tmp_path, smtp_server, monkeypatch)
    with Outbox(database, None) as outbox:
        report = send_pending(outbox, smtp_config(smtp_server), env={}, clock=Clock())
        assert len(report.swept) == 2 and len(report.ambiguous) == 2 and not report.ok
        report = send_pending(outbox, smtp_config(smtp_server), env={}, clock=Clock())
        assert not report.swept and len(report.ambiguous) == 2 and not report.ok
    assert smtp_server.received == []


class _Archive(http.server.BaseHTTPRequestHandler):
    """An archive on loopback holding the messages of ``KNOWN`` at ``/all/<id>/raw``."""

    known: set[str] = set()

    def do_GET(self) -> None:  # noqa: N802 - the handler's name
        parts = urllib.parse.unquote(self.path).strip("/").split("/")
        if len(parts) == 3 and parts[0] == "all" and parts[2] == "raw" and parts[1] in self.known:
            body = b"From: x@example.org\n\nhere\n"
            self.send_response(200)
        else:
            body = b"Not Found\n"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def archive_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Archive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_requeue_asks_the_archive_only_of_a_failed_reply_and_only_trusts_one_that_has_the_patch(
        tmp_path: Path, smtp_server: SmtpServer, monkeypatch, capsys, archive_server) -> None:
    database, (first, second) = _ambiguous(tmp_path, smtp_server, monkeypatch)
    base = f"http://127.0.0.1:{archive_server.server_address[1]}"
    where = ["--config", _config(tmp_path, smtp_server), "--db", str(database), "-c", f"lore.base-url={base}"]
    run_cli(capsys, "review", "--send", *where)  # both 'failed' now
    with Outbox(database, None) as outbox:
        answered = {r.reply_msgid: re.search(rb"^In-Reply-To: <([^>]+)>", r.message, re.M | re.I).group(1).decode()
                    for r in outbox.replies()}
    # an archive without the patch either (an inbox with no /all/ index) cannot say: refused
    _Archive.known = set()
    code, _, err = run_cli(capsys, "review", "--requeue", first, *where)
    assert code == 2 and f"does not have the patch {answered[first]} either" in err
    # one that has the patch but not the reply says it did not arrive
    _Archive.known = {answered[first]}
    assert run_cli(capsys, "review", "--requeue", first, *where)[0] == 0
    # a reply that is not ambiguous is refused before the archive is asked
    archive_server.shutdown()
    code, _, err = run_cli(capsys, "review", "--requeue", first, *where)
    assert code == 2 and "is pending: only an ambiguous ('failed') reply can be re-queued" in err
