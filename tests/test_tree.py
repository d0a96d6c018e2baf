"""Tree-aware mode: ``GitTree`` against real throwaway git repositories, and
``reviewbot check`` reading whole files, the Makefile's version and macro
uses from the tree it runs in."""

from __future__ import annotations

import shutil


from reviewbot.config import ContextConfig
from reviewbot.analysis.kernels import KernelVersion
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from reviewbot.analysis.tree import GitTree, is_kernel_tree, post_image
from tests.conftest import run_cli
from tests.gitrepo import (
    BASE_FILES, HYP_STUB_S, KVM_ASM_H, STUB_LITERAL, commit, edit, git, make_kernel_repo, make_series, write,
)

HDR = "arch/arm64/include/asm/kvm_asm.h"
STUB = "arch/arm64/kernel/hyp-stub.S"
EL1_OFFSET = f"{HDR}:7: warning: [arm64.hyp.el1-percpu-offset]"
MISSING_KHV = f"{STUB}:36: error: [arm64.hyp.missing-kern-hyp-va]"


def patches_of(mbox: bytes):
    messages, errors = parse_input(mbox, source="series.mbox")
    assert not errors
    (series,), _ = assemble_series(messages)
    return list(series.patches)


# --- GitTree -------------------------------------------------------------------------------


def test_old_file_is_the_blob_on_the_index_line_not_the_work_tree(kernel_repo):
    make_series(kernel_repo)
    (patch1, patch2) = patches_of(git(kernel_repo, "format-patch", "--stdout", "HEAD~2..").encode())
    write(kernel_repo, {STUB: "garbage the author is still editing\n"})
    tree = GitTree(kernel_repo, ContextConfig())
    assert tree.old_file(patch2.files[0]) == HYP_STUB_S
    assert tree.old_file(patch1.files[0]) == KVM_ASM_H


def test_one_git_process_reads_every_blob_of_the_run(kernel_repo):
    make_series(kernel_repo)
    patches = patches_of(git(kernel_repo, "format-patch", "--stdout", "HEAD~2..").encode())
    tree = GitTree(kernel_repo, ContextConfig())
    tree.prefetch(c for p in patches for c in p.files)
    assert tree.git_calls == 1
    assert [tree.old_file(p.files[0]) for p in patches] == [KVM_ASM_H, HYP_STUB_S]
    assert tree.git_calls == 1


def test_work_tree_file_when_the_blob_is_unknown_and_the_patch_applies(kernel_repo):
    edit(kernel_repo, STUB, STUB_LITERAL)
    diff = git(kernel_repo, "diff").replace(git(kernel_repo, "rev-parse", f"HEAD:{STUB}").strip()[:7], "1111111")
    git(kernel_repo, "checkout", "--", STUB)
    (patch,) = patches_of(diff.encode())
    assert patch.files[0].old_blob.startswith("1111111")
    tree = GitTree(kernel_repo, ContextConfig())
    assert tree.old_file(patch.files[0]) == HYP_STUB_S


def test_no_old_file_when_the_work_tree_does_not_match(kernel_repo):
    edit(kernel_repo, STUB, STUB_LITERAL)
    diff = git(kernel_repo, "diff", "--full-index")
    blob = git(kernel_repo, "rev-parse", f"HEAD:{STUB}").strip()
    (patch,) = patches_of(diff.replace(blob, "1" * 40).encode())
    tree = GitTree(kernel_repo, ContextConfig())
    # the work tree holds the patched file: the hunks' old side is not there
    assert tree.old_file(patch.files[0]) is None
    write(kernel_repo, {STUB: "something else entirely\n"})
    assert tree.old_file(patch.files[0]) is None


def test_no_old_file_when_the_work_tree_already_holds_an_appended_hunk(kernel_repo):
    path = "arch/arm64/kvm/hyp/entry.S"
    (kernel_repo / path).write_text(BASE_FILES[path] + "\tnop\n")
    diff = git(kernel_repo, "diff", "--full-index")
    blob = git(kernel_repo, "rev-parse", f"HEAD:{path}").strip()
    (patch,) = patches_of(diff.replace(blob, "2" * 40).encode())
    # old and new side both sit where the hunk says: applying it again would duplicate it
    assert GitTree(kernel_repo, ContextConfig()).old_file(patch.files[0]) is None


def two_patches(tmp_path) -> tuple:
    """An upstream kernel repository and, as an mbox, two patches made on a
    clone of it: the first changes a hyp file, the second changes it again."""
    upstream = make_kernel_repo(tmp_path / "upstream")
    author = tmp_path / "author"
    git(tmp_path, "clone", "-q", str(upstream), str(author))
    edit(author, STUB, STUB_LITERAL)
    commit(author, "first")
    edit(author, STUB, ("\tret\nENDPROC(__foo)", "\tisb\n\tret\nENDPROC(__foo)"))
    commit(author, "second")
    return upstream, git(author, "format-patch", "--stdout", "HEAD~2..").encode()


def test_a_later_patch_gets_the_post_image_of_an_earlier_one(tmp_path, isolated_git):
    upstream, mbox = two_patches(tmp_path)
    patch1, patch2 = patches_of(mbox)
    tree = GitTree(upstream, ContextConfig())  # knows neither commit
    tree.prefetch(c for p in (patch1, patch2) for c in p.files)
    assert tree.old_file(patch1.files[0]) == HYP_STUB_S
    expected = HYP_STUB_S.replace(*STUB_LITERAL)
    assert tree.old_file(patch2.files[0]) == expected == post_image(patch1.files[0], HYP_STUB_S)


def test_the_work_tree_gives_a_blob_it_holds_and_git_is_not_run(kernel_repo):
    edit(kernel_repo, STUB, STUB_LITERAL)
    diff = git(kernel_repo, "diff")  # abbreviated ids, as format-patch writes them
    git(kernel_repo, "checkout", "--", STUB)  # the work tree holds the pre-image again
    (patch,) = patches_of(diff.encode())
    tree = GitTree(kernel_repo, ContextConfig())
    tree.prefetch(patch.files)
    assert tree.old_file(patch.files[0]) == HYP_STUB_S
    assert tree.git_calls == 0
    # a work tree file that is not the blob is never taken for it: git is asked
    write(kernel_repo, {STUB: HYP_STUB_S + "\tnop\n"})
    tree = GitTree(kernel_repo, ContextConfig())
    tree.prefetch(patch.files)
    assert tree.old_file(patch.files[0]) == HYP_STUB_S
    assert tree.git_calls == 1


def test_a_series_made_elsewhere_needs_no_git_when_the_tree_is_its_base(tmp_path, isolated_git):
    upstream, mbox = two_patches(tmp_path)
    patch1, patch2 = patches_of(mbox)
    tree = GitTree(upstream, ContextConfig())
    tree.prefetch(c for p in (patch1, patch2) for c in p.files)
    assert tree.old_file(patch1.files[0]) == HYP_STUB_S  # the work tree's file, which is the blob
    # the blob patch 2 applies to is patch 1's post-image, checked against its id
    assert tree.old_file(patch2.files[0]) == post_image(patch1.files[0], HYP_STUB_S)
    assert tree.git_calls == 0


def test_a_chained_post_image_that_is_not_the_blob_is_not_taken_for_it(tmp_path, isolated_git):
    upstream, mbox = two_patches(tmp_path)
    patch1, patch2 = patches_of(mbox)
    # patch 1 says it makes the blob patch 2 applies to, but the hunks it carries make another text
    tampered = patch1.files[0].new_blob
    text = mbox.decode().replace("\tldr\tx2, [x1]\n", "\tldr\tx3, [x1]\n", 1)
    patch1, patch2 = patches_of(text.encode())
    assert patch1.files[0].new_blob == tampered
    tree = GitTree(upstream, ContextConfig())
    tree.prefetch(c for p in (patch1, patch2) for c in p.files)
    assert tree.old_file(patch1.files[0]) == HYP_STUB_S
    # git does not have it either: then, as before, the earlier patch's post-image is what there is
    assert tree.old_file(patch2.files[0]) == post_image(patch1.files[0], HYP_STUB_S)
    assert tree.git_calls == 1


def test_nothing_outside_the_tree_is_read_for_a_blob(tmp_path, kernel_repo):
    outside = tmp_path / "outside.S"
    outside.write_text(HYP_STUB_S)
    blob = git(kernel_repo, "hash-object", str(outside)).strip()
    (kernel_repo / "arch/arm64/kvm/hyp/link.S").symlink_to(outside)
    (kernel_repo / "arch/arm64/kvm/hyp/out").symlink_to(tmp_path, target_is_directory=True)
    tree = GitTree(kernel_repo, ContextConfig(), use_git=False)
    for path in ("../outside.S", str(outside), "arch/arm64/kvm/hyp/link.S", "arch/arm64/kvm/hyp/out/outside.S"):
        diff = (f"diff --git a/{path} b/{path}\nindex {blob[:12]}..{'1' * 12} 100644\n--- a/{path}\n"
                f"+++ b/{path}\n@@ -1,1 +1,2 @@\n {HYP_STUB_S.splitlines()[0]}\n+\tnop\n")
        (patch,) = patches_of(diff.encode())
        tree.prefetch(patch.files)
        assert tree.old_file(patch.files[0]) is None, path


def test_new_deleted_binary_and_other_files_have_no_old_file(kernel_repo):
    write(kernel_repo, {"arch/arm64/kvm/hyp/new.S": "\tnop\n", "Documentation/x.rst": "x\n"})
    git(kernel_repo, "rm", "-q", "arch/arm64/kvm/hyp/entry.S")
    git(kernel_repo, "add", "-A")
    (patch,) = patches_of(git(kernel_repo, "diff", "--cached", "--full-index").encode())
    tree = GitTree(kernel_repo, ContextConfig())
    by_path = {c.path: tree.old_file(c) for c in patch.files}
    assert by_path["arch/arm64/kvm/hyp/new.S"] is None
    assert by_path["Documentation/x.rst"] is None
    assert by_path["arch/arm64/kvm/hyp/entry.S"] == BASE_FILES["arch/arm64/kvm/hyp/entry.S"]


def test_kernel_version_from_the_makefile(kernel_repo, tmp_path):
    assert GitTree(kernel_repo, ContextConfig()).kernel_version() == KernelVersion(4, 15)
    assert GitTree(tmp_path, ContextConfig()).kernel_version() is None
    (tmp_path / "Makefile").write_text("VERSION = 2026\nPATCHLEVEL = 10\n")  # u-boot's, not a kernel's
    assert GitTree(tmp_path, ContextConfig()).kernel_version() is None


def test_hyp_macro_uses_with_one_git_grep(kernel_repo):
    write(kernel_repo, {"arch/arm64/kernel/entry.S": "\tnot_hyp_macro x0\n",
                        "arch/arm64/kvm/hyp/switch.S": "1:\tlabelled_macro x0\n\t// commented_macro x0\n"})
    commit(kernel_repo, "more")
    tree = GitTree(kernel_repo, ContextConfig())
    assert tree.hyp_macro_uses(frozenset()) == frozenset() and tree.git_calls == 0
    names = frozenset({"get_host_ctxt", "not_hyp_macro", "labelled_macro", "commented_macro", "absent"})
    assert tree.hyp_macro_uses(names) == {"get_host_ctxt", "labelled_macro"}
    assert tree.git_calls == 1


def test_a_plain_directory_tree_needs_no_git(tmp_path, kernel_repo):
    plain = tmp_path / "tarball"
    shutil.copytree(kernel_repo, plain, ignore=shutil.ignore_patterns(".git"))
    edit(kernel_repo, STUB, STUB_LITERAL)
    (patch,) = patches_of(git(kernel_repo, "diff").encode())
    tree = GitTree(plain, ContextConfig(), use_git=False)
    tree.prefetch(patch.files)
    assert tree.old_file(patch.files[0]) == HYP_STUB_S
    assert tree.kernel_version() == KernelVersion(4, 15)
    assert tree.hyp_macro_uses(frozenset({"get_host_ctxt", "absent"})) == {"get_host_ctxt"}
    assert tree.git_calls == 0


def test_is_kernel_tree(kernel_repo, tmp_path):
    assert is_kernel_tree(kernel_repo)
    assert not is_kernel_tree(tmp_path)


# --- reviewbot check, tree-aware ------------------------------------------------------------


def test_check_in_a_kernel_checkout_is_tree_aware_by_default(capsys, monkeypatch, kernel_repo, tmp_path):
    make_series(kernel_repo)
    outdir = tmp_path / "out"
    git(kernel_repo, "format-patch", "-q", "-o", str(outdir), "HEAD~2..")
    git(kernel_repo, "reset", "-q", "--hard", "HEAD~2")
    monkeypatch.chdir(kernel_repo / "arch")
    code, out, err = run_cli(capsys, "check", "-q", str(outdir))
    assert (code, err) == (1, "")
    # issue 15: kernel-va-literal no longer matches 'ldr x1, =sym'; missing-kern-hyp-va
    # reports the load's use as an address instead (it used to report both)
    assert [line.split(" [")[0] + " [" + line.split(" [")[1].split("]")[0] + "]" for line in out.splitlines()] == [
        EL1_OFFSET, MISSING_KHV]
    # the same patches, hunks alone: no section, no macro use, no era from the tree
    assert run_cli(capsys, "check", "--no-tree", str(outdir))[:2] == (0, "")


def test_the_tree_makefile_decides_the_kernel_version(capsys, monkeypatch, kernel_repo):
    write(kernel_repo, {"Makefile": "VERSION = 5\nPATCHLEVEL = 15\n"})
    commit(kernel_repo, "v5.15")
    make_series(kernel_repo)
    monkeypatch.chdir(kernel_repo)
    code, out, _ = run_cli(capsys, "check", "--git", "HEAD~2..")
    assert "kernel-va-literal" not in out and "missing-kern-hyp-va" not in out  # relocated since 5.12
    assert EL1_OFFSET in out and code == 0  # a warning


def test_tree_option_names_a_checkout_elsewhere(capsys, monkeypatch, kernel_repo, tmp_path):
    make_series(kernel_repo)
    mbox = tmp_path / "series.mbox"
    mbox.write_text(git(kernel_repo, "format-patch", "--stdout", "HEAD~2.."))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run_cli(capsys, "check", str(mbox))[:2] == (0, "")  # no tree here
    code, out, _ = run_cli(capsys, "check", "--tree", str(kernel_repo), str(mbox))
    assert code == 1 and EL1_OFFSET in out and MISSING_KHV in out  # issue 15: was LITERAL


def test_tree_option_errors(capsys, tmp_path):
    code, out, err = run_cli(capsys, "check", "--tree", str(tmp_path / "nope"), "x.patch")
    assert (code, out) == (2, "")
    assert err == f"reviewbot: error: --tree {tmp_path / 'nope'}: no such directory\n"
    code, _, err = run_cli(capsys, "check", "--tree", str(tmp_path), "--no-tree", "x.patch")
    assert code == 2 and "not allowed with argument" in err


def test_no_git_process_outside_a_checkout(capsys, monkeypatch, tmp_path, patch_factory):
    import subprocess
    calls = []
    real = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a) or real(*a, **k))
    patch = tmp_path / "p.patch"
    patch.write_text(patch_factory("arch/arm64/kvm/hyp/entry.S",
                                   "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"))
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "check", str(patch))[0] == 1
    assert calls == []


def test_the_base_commit_decides_the_kernel_version(kernel_repo):
    from tests.gitrepo import git as run_git
    base = run_git(kernel_repo, "rev-parse", "HEAD").strip()
    write(kernel_repo, {"Makefile": "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n"})
    commit(kernel_repo, "v6.1")
    tree = GitTree(kernel_repo, ContextConfig())
    assert tree.kernel_version() == KernelVersion(6, 1)  # the work tree
    assert tree.kernel_version_at(base) == KernelVersion(4, 15)  # where the series applies
    assert tree.kernel_version_at("0" * 40) is None

    from reviewbot.config import load_config
    from reviewbot.engine import era_of

    era = era_of(None, load_config(), tree, base)
    assert (era.version, era.origin) == (KernelVersion(4, 15), f"base-commit {base[:12]}")
    assert era_of(None, load_config(), tree, None).version == KernelVersion(6, 1)

