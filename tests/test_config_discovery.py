"""checkpatch-like configuration discovery: ``.reviewbot.yaml`` at the top of
the repository wins over the user's ``$XDG_CONFIG_HOME/reviewbot/config.yaml``,
which wins over the packaged default; ``--config FILE`` replaces discovery;
``-c key=value`` wins over everything."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reviewbot.commands.common import user_config_files
from tests.conftest import run_cli
from tests.gitrepo import git

HYP = "arch/arm64/kvm/hyp/switch.S"
WARNING_HUNK = "@@ -1,2 +1,4 @@\n foo:\n+\tmrs\tx1, tpidr_el1\n+\tadd\tx0, x0, x1\n \tret\n"
ERROR_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"


@pytest.fixture
def user_config() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "reviewbot" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def checkout(tmp_path, monkeypatch, isolated_git) -> Path:
    repo = tmp_path / "linux"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "arch").mkdir()
    monkeypatch.chdir(repo / "arch")  # discovery starts in a subdirectory
    return repo


@pytest.fixture
def patch(tmp_path, patch_factory) -> str:
    path = tmp_path / "p.patch"
    path.write_text(patch_factory(HYP, ERROR_HUNK))
    return str(path)


def test_the_repository_file_wins_over_the_user_file(capsys, checkout, user_config, patch):
    user_config.write_text("output:\n  format: json\n")
    (checkout / ".reviewbot.yaml").write_text("output:\n  format: checkpatch\n")
    code, out, _ = run_cli(capsys, "check", patch)
    assert code == 1 and out.splitlines()[-1].startswith("total: 1 errors")
    assert user_config_files() == [user_config, checkout / ".reviewbot.yaml"]  # later wins


def test_the_user_file_applies_without_a_repository_file(capsys, checkout, user_config, patch):
    user_config.write_text("output:\n  format: json\n")
    code, out, _ = run_cli(capsys, "check", patch)
    assert code == 1 and json.loads(out)["summary"]["error"] == 1


def test_the_packaged_default_applies_without_either(capsys, checkout, patch):
    assert user_config_files() == []
    code, out, _ = run_cli(capsys, "check", patch)
    assert code == 1 and out.startswith(f"{HYP}:2: error: [arm64.sysreg.msr-mrs-operand-order]")


def test_the_files_are_layered_key_by_key(capsys, checkout, user_config, tmp_path, patch_factory):
    user_config.write_text("output:\n  fail-on: warning\n  format: json\n")
    (checkout / ".reviewbot.yaml").write_text("output:\n  format: checkpatch\n")
    warning = tmp_path / "w.patch"
    warning.write_text(patch_factory(HYP, WARNING_HUNK))
    code, out, _ = run_cli(capsys, "check", str(warning))
    assert out.splitlines()[-1].startswith("total: 0 errors, 1 warnings")  # the repository's format
    assert code == 1  # the user's fail-on


def test_user_config_under_home_without_xdg(capsys, checkout, monkeypatch, tmp_path, patch):
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "home" / ".config" / "reviewbot" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("output:\n  format: json\n")
    assert json.loads(run_cli(capsys, "check", patch)[1])["summary"]["error"] == 1


def test_config_option_replaces_discovery(capsys, checkout, user_config, tmp_path, patch):
    user_config.write_text("output:\n  format: json\n")
    (checkout / ".reviewbot.yaml").write_text("output:\n  format: checkpatch\n")
    named = tmp_path / "named.yaml"
    named.write_text("rules:\n  ignore: [arm64.sysreg.msr-mrs-operand-order]\n")
    assert run_cli(capsys, "check", "--config", str(named), patch) == (0, "", "")  # text format, rule off


def test_command_line_overrides_win_over_every_file(capsys, checkout, user_config, patch):
    user_config.write_text("output:\n  format: json\n")
    (checkout / ".reviewbot.yaml").write_text("output:\n  format: checkpatch\n")
    assert run_cli(capsys, "check", "--format", "text", patch)[1].startswith(f"{HYP}:2: error:")
    assert run_cli(capsys, "check", "-c", "output.format=text", patch)[1].startswith(f"{HYP}:2: error:")


def test_outside_a_checkout_only_the_user_file(capsys, tmp_path, monkeypatch, user_config, patch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".reviewbot.yaml").write_text("output:\n  format: checkpatch\n")  # not a checkout top
    monkeypatch.chdir(elsewhere)
    user_config.write_text("output:\n  format: json\n")
    assert user_config_files() == [user_config]
    assert json.loads(run_cli(capsys, "check", patch)[1])["summary"]["error"] == 1


def test_a_bad_repository_file_names_the_file_and_key(capsys, checkout, patch):
    (checkout / ".reviewbot.yaml").write_text("output:\n  fial-on: error\n")
    code, out, err = run_cli(capsys, "check", patch)
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewbot: error: {checkout / '.reviewbot.yaml'}: unknown key 'output.fial-on'")
    assert len(err.splitlines()) == 1
