"""A patch sent with ``git send-email --attach`` or ``--inline`` (git
format-patch's MIME forms: the diff in a part of its own) is read as the
same patch: the hook, ``check`` and ``review`` see its diff."""

from __future__ import annotations

import pytest

from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from tests.conftest import run_cli
from tests.gitrepo import SWAP, commit, edit, git

ENTRY = "arch/arm64/kvm/hyp/entry.S"


@pytest.mark.parametrize("form", ["--attach", "--inline"])
def test_a_patch_in_a_part_of_its_own_is_read(kernel_repo, tmp_path, capsys, form) -> None:
    edit(kernel_repo, ENTRY, SWAP)
    commit(kernel_repo, "KVM: arm64: Read the vcpu back")
    plain = tmp_path / "plain.patch"
    plain.write_text(git(kernel_repo, "format-patch", "--stdout", "-1"))
    mime = tmp_path / "mime.patch"
    mime.write_text(git(kernel_repo, "format-patch", "--stdout", form, "-1"))
    assert "Content-Type: multipart/mixed" in mime.read_text()
    messages, errors = parse_input(mime.read_bytes(), source=str(mime))
    assert not errors
    (series,), _ = assemble_series(messages)
    (patch,) = series.patches
    assert [c.path for c in patch.files] == [ENTRY] and patch.message.subject.endswith("Read the vcpu back")
    expected = run_cli(capsys, "check", "--no-tree", "-q", str(plain))
    assert expected[0] == 1 and "msr-mrs-operand-order" in expected[1]
    assert run_cli(capsys, "check", "--no-tree", "-q", str(mime)) == expected
    code, out, _ = run_cli(capsys, "hook-check", str(mime))
    assert code == 1 and "msr-mrs-operand-order" in out
