"""Throwaway git repositories for the tree, pre-check, hook and b4 tests.

A "kernel tree" here is a small git repository shaped like one: a top-level
Makefile with VERSION/PATCHLEVEL, a macro header under
``arch/arm64/include/asm/``, hyp code under ``arch/arm64/kvm/hyp/`` and a
file outside the hyp paths whose code sits in a hyp section far above the
lines a patch touches.  Every git call runs with the user's and the
system's git configuration shut out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MAKEFILE = "# SPDX-License-Identifier: GPL-2.0\nVERSION = {0}\nPATCHLEVEL = {1}\nSUBLEVEL = 0\nEXTRAVERSION =\n"

KVM_ASM_H = """\
#ifndef __ARM_KVM_ASM_H__
#define __ARM_KVM_ASM_H__

#ifdef __ASSEMBLY__
.macro get_host_ctxt reg, tmp
\tadr_l\t\\reg, kvm_host_cpu_state
\tadd\t\\reg, \\reg, #0
.endm
#endif

#endif /* __ARM_KVM_ASM_H__ */
"""

HYP_ENTRY_S = """\
#include <linux/linkage.h>
#include <asm/kvm_asm.h>

\t.text
ENTRY(__guest_exit)
\tget_host_ctxt\tx0, x1
\tret
ENDPROC(__guest_exit)
"""

#: Outside the hyp paths; its code is hyp code because of the section that
#: opens 30 lines above where the patches below add their lines.
HYP_STUB_S = ("#include <linux/linkage.h>\n\n\t.pushsection\t.hyp.text, \"ax\"\n"
              + "".join(f"\tnop\t// filler {i}\n" for i in range(1, 31))
              + "ENTRY(__foo)\n\tret\nENDPROC(__foo)\n\t.popsection\n")

BASE_FILES = {
    "Makefile": MAKEFILE.format(4, 15),
    "arch/arm64/include/asm/kvm_asm.h": KVM_ASM_H,
    "arch/arm64/kvm/hyp/entry.S": HYP_ENTRY_S,
    "arch/arm64/kernel/hyp-stub.S": HYP_STUB_S,
}

#: The change of patch 1: the macro reads the EL1 per-cpu offset.  Only hyp
#: code elsewhere in the tree makes the header's macro hyp code.
MACRO_EL1_OFFSET = ("\tadd\t\\reg, \\reg, #0\n", "\tmrs\t\\tmp, tpidr_el1\n\tadd\t\\reg, \\reg, \\tmp\n")
#: The change of patch 2: a literal-pool address in the hyp section.
STUB_LITERAL = ("ENTRY(__foo)\n", "ENTRY(__foo)\n\tldr\tx1, =kvm_host_cpu_state\n\tldr\tx2, [x1]\n")
#: A change that is wrong everywhere: msr with its operands swapped.
SWAP = ("\tret\nENDPROC(__guest_exit)\n", "\tmsr\tx0, tpidr_el2\n\tret\nENDPROC(__guest_exit)\n")
CLEAN = ("\tret\nENDPROC(__guest_exit)\n", "\tmrs\tx0, tpidr_el2\n\tret\nENDPROC(__guest_exit)\n")


def git_env(home: Path) -> dict[str, str]:
    """An environment where git reads no user or system configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Ada Author", "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Author", "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_AUTHOR_DATE": "2018-01-08T12:00:00+0000", "GIT_COMMITTER_DATE": "2018-01-08T12:00:00+0000",
        "PYTHONPATH": str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""),
    })
    return env


@pytest.fixture
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Shut the user's git configuration out of this test (for git run by
    reviewbot in-process too); returns the environment for subprocesses."""
    home = tmp_path_factory.mktemp("home")
    env = git_env(home)
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("GIT_") or key == "HOME":
            monkeypatch.setenv(key, value)
    return env


def git(repo: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    """Run git in ``repo`` (the environment set by ``isolated_git``)."""
    proc = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def write(repo: Path, files: dict[str, str]) -> None:
    """Write files (paths relative to ``repo``)."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def edit(repo: Path, name: str, change: tuple[str, str]) -> None:
    """Replace the first occurrence of ``change[0]`` by ``change[1]`` in a file."""
    path = repo / name
    text = path.read_text()
    assert change[0] in text, f"{change[0]!r} not in {name}"
    path.write_text(text.replace(change[0], change[1], 1))


def commit(repo: Path, message: str) -> str:
    """Commit everything; returns the commit id."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def make_kernel_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A kernel-shaped git repository at ``path`` with one base commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "master")
    write(path, BASE_FILES if files is None else files)
    commit(path, "base")
    return path


def make_series(repo: Path) -> list[str]:
    """Commit the two tree-dependent patches (macro, literal) on top of HEAD."""
    edit(repo, "arch/arm64/include/asm/kvm_asm.h", MACRO_EL1_OFFSET)
    first = commit(repo, "KVM: arm64: Offset the host context by the per-cpu offset")
    edit(repo, "arch/arm64/kernel/hyp-stub.S", STUB_LITERAL)
    second = commit(repo, "arm64: Find __foo's data with a literal")
    return [first, second]


@pytest.fixture
def kernel_repo(tmp_path: Path, isolated_git: dict[str, str]) -> Path:
    """A fresh kernel-shaped repository in ``tmp_path/linux``."""
    return make_kernel_repo(tmp_path / "linux")


def reviewbot_cmd() -> list[str]:
    """How a subprocess runs this checkout's reviewbot."""
    return [sys.executable, "-m", "reviewbot"]
