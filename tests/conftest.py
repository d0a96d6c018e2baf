"""Shared fixtures: no network but loopback, XDG directories in tmp_path,
and factories that build inputs from strings."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

# Fixture modules, registered once here instead of imported by name into
# each test file: git repositories (isolated_git, kernel_repo) and the SMTP
# server on loopback (smtp_server, smtp_server_auth; aiosmtpd is a test
# dependency).
pytest_plugins = ["tests.gitrepo", "tests.smtp_server"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    elif isinstance(address, (str, bytes)):
        return True  # a Unix socket path
    else:
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to servers on 127.0.0.1 only; anything else is a bug."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise OSError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise OSError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(autouse=True)
def _xdg_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's config and cache never leak into a test."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``reviewbot ARGV...`` in this process: (exit status, stdout, stderr)."""
    from reviewbot.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def make_patch(path: str, hunks: str, *, subject: str = "[PATCH] arm64: example",
               msgid: str = "example.1@example.org", sender: str = "Ada Author <ada@example.org>",
               date: str = "Wed, 29 Nov 2017 18:20:52 +0000", extra_headers: str = "",
               body: str = "An example change.\n\nSigned-off-by: Ada Author <ada@example.org>\n",
               notes: str = "") -> str:
    """A git format-patch message changing ``path`` with the given hunks
    (text starting at the ``@@`` line)."""
    return (
        f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        f"Message-Id: <{msgid}>\n"
        f"From: {sender}\n"
        f"Date: {date}\n"
        f"Subject: {subject}\n"
        f"To: kvmarm@lists.cs.columbia.edu\n"
        f"{extra_headers}"
        f"\n"
        f"{body}"
        f"---\n"
        f"{notes}"
        f" {path} | 1 +\n"
        f"\n"
        f"diff --git a/{path} b/{path}\n"
        f"index 1111111..2222222 100644\n"
        f"--- a/{path}\n"
        f"+++ b/{path}\n"
        f"{hunks}"
        f"-- \n"
        f"2.39.5\n"
    )


@pytest.fixture
def patch_factory():
    """The make_patch factory, for tests that build patches from strings."""
    return make_patch
