"""The wheel carries the grammar, the rule pack and the default config, and
the installed command works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

pytest.importorskip("hatchling", reason="building the wheel needs hatchling (pip install hatchling)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    return next(out.glob("reviewbot-*.whl"))


def test_wheel_ships_grammar_rules_and_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "reviewbot/_data/grammars/arm64.lark" in names
    assert "reviewbot/_data/config.yaml" in names
    assert "reviewbot/_data/bench/labels.yaml" in names
    assert "reviewbot/rules/schema.json" in names
    assert any(n.startswith("reviewbot/_data/rules/arm64-sysreg/") and n.endswith(".yaml") for n in names)
    assert any(n.endswith(".dist-info/entry_points.txt") for n in names)


def test_installed_check_runs_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run([sys.executable, "-c", "import reviewbot; print(reviewbot.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(target))
    proc = subprocess.run([sys.executable, "-m", "reviewbot", "check", str(EXAMPLES / "seed-series.mbox")],
                          cwd=elsewhere, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "[arm64.sysreg.msr-mrs-operand-order]" in proc.stdout
    shown = subprocess.run([sys.executable, "-m", "reviewbot", "rules", "show", "c.hyp.this-cpu-ptr"],
                           cwd=elsewhere, env=env, capture_output=True, text=True)
    assert "Precision on real mail: 0 right of 0 judged; 6 judged earlier are no longer made" in shown.stdout
    script = target / "bin" / "reviewbot"
    assert script.exists()
