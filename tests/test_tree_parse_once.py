"""Tree-aware review outlines a whole file once per series: a patch's
post-image is made from its pre-image's outline (only the lines around the
hunks scanned again), a pre-image that is the post-image of an earlier
patch (the chained blob of analysis/tree.py) is not scanned again, and the
findings are those of outlining every file in full."""

from __future__ import annotations

from reviewbot import engine
from reviewbot.analysis.tree import GitTree
from reviewbot.config import load_config
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from reviewbot.match import whole_file
from reviewbot.rules.loader import load_rules
from tests.test_tree import patches_of, two_patches


def _series(tmp_path):
    upstream, mbox = two_patches(tmp_path)
    assert len(patches_of(mbox)) == 2
    messages, _ = parse_input(mbox, source="series.mbox")
    (series,), _ = assemble_series(messages)
    return upstream, series


def test_a_chained_pre_image_is_parsed_once(tmp_path, isolated_git, monkeypatch) -> None:
    upstream, series = _series(tmp_path)
    config = load_config()
    rules = load_rules(config)
    outlined: list[int] = []
    made: list[int] = []
    real, real_edited = whole_file.outline, whole_file.edited

    def counting(text, **kwargs):
        outlined.append(text.count("\n"))
        return real(text, **kwargs)

    def counting_edited(old, old_text, new_text, hunks, lines=None):
        made.append(new_text.count("\n"))
        return real_edited(old, old_text, new_text, hunks, lines)

    monkeypatch.setattr(whole_file, "outline", counting)
    monkeypatch.setattr(whole_file, "edited", counting_edited)
    whole_file.clear_caches()
    review = engine.review(series, rules, config, GitTree(upstream, config.context))
    # patch 1's old file is outlined; its new file, and patch 2's, are made
    # from the old one; patch 2's old file is patch 1's new one
    assert (len(outlined), len(made)) == (1, 2), (outlined, made)
    whole_file.clear_caches()
    monkeypatch.setattr(whole_file, "whole_file_outline", lambda text, made=None, store=None: real(text))  # no sharing
    monkeypatch.setattr(whole_file, "_READ", [])
    again = engine.review(series, rules, config, GitTree(upstream, config.context))
    assert [[f.fingerprint for f in p.findings] for p in review.patches] == \
        [[f.fingerprint for f in p.findings] for p in again.patches]
    assert any(p.findings for p in review.patches)


def test_a_file_changed_again_patches_later_is_not_outlined_again(tmp_path, isolated_git, monkeypatch) -> None:
    from tests.gitrepo import commit, git, make_kernel_repo

    names = [f"arch/arm64/kvm/hyp/f{n}.S" for n in range(4)]
    files = {"Makefile": "VERSION = 5\nPATCHLEVEL = 10\n"}
    files.update({name: "".join(f"\tnop\t// {name} {i}\n" for i in range(20)) for name in names})
    repo = make_kernel_repo(tmp_path / "linux", files)
    for number, name in enumerate([*names, names[0]]):  # the first file again, four patches later
        path = repo / name
        path.write_text(path.read_text().replace("\tnop\t// ", f"\tmsr\tx{number}, tpidr_el2\n\tnop\t// ", 1))
        commit(repo, f"KVM: arm64: change {number}")
    mbox = git(repo, "format-patch", "--stdout", "HEAD~5..").encode()
    git(repo, "reset", "-q", "--hard", "HEAD~5")
    messages, _ = parse_input(mbox, source="series.mbox")
    (series,), _ = assemble_series(messages)
    outlined: list[str] = []
    real = whole_file.outline
    monkeypatch.setattr(whole_file, "outline", lambda text, **kw: outlined.append(text) or real(text, **kw))
    whole_file.clear_caches()
    config = load_config()
    review = engine.review(series, load_rules(config), config, GitTree(repo, config.context))
    assert len(outlined) == 4  # each file once: the last patch's pre-image is the first one's post-image
    assert [len(p.findings) for p in review.patches] == [1, 1, 1, 1, 1]
