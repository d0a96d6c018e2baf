"""Tree-aware review runs the matchers only where their hits can count,
and a whole file's taint analysis once per series (match/focus.py), and
finds exactly what running them over whole files finds: findings on added
lines, findings that the patch makes new outside every hunk (a deleted
``kern_hyp_va``; a repeated key whose last instance, in unchanged code, is
the one kept), and no finding for what the pre-image already had."""

from __future__ import annotations

import difflib

from reviewbot import engine
from reviewbot.analysis.kernels import KernelVersion
from reviewbot.analysis.tree import post_image
from reviewbot.config import load_config
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from reviewbot.analysis.kernels import Era
from reviewbot.match.file_units import build_units
from reviewbot.match.focus import could_repeat, focused_hits
from reviewbot.match.taint import TaintMatcher
from reviewbot.asm.ast import Instruction, Unread
from reviewbot.model import FileChange
from reviewbot.records import replace
from reviewbot.rules.loader import load_rules
from reviewbot.rules.rule_file import DiffSpec, RuleSet
from tests.conftest import make_patch

PATH = "arch/arm64/kvm/hyp/nvhe/focus.S"

#: Functions marked the kernel's way, code that is not (TF-A style: parts
#: of one span that only ``ret`` separates), a macro, and findings the
#: pre-image already has (a kernel VA used twice, an msr written backwards).
BASE = """\
#include <linux/linkage.h>

\t.text
.macro load_host reg
\tldr\t\\reg, =kvm_host_data
\tkern_hyp_va\t\\reg
.endm

tf_style_first:
\tmov\tx9, x10
\tret

tf_style_second:
\tldr\tx1, =kvm_host_data
\tldr\tx2, [x1]
\tret

SYM_FUNC_START(__hyp_b)
\tldr\tx3, =kvm_host_vector
\tkern_hyp_va\tx3
\tnop
\tnop
\tnop
\tnop
\tnop
\tnop
\tldr\tx4, [x3]
\tret
SYM_FUNC_END(__hyp_b)

SYM_FUNC_START(__hyp_c)
\tldr\tx1, =kvm_host_data
\tldr\tx2, [x1]
\tmsr\tx0, tpidr_el2
\tret
SYM_FUNC_END(__hyp_c)
"""


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


#: Each patch of the series, as an edit of the file the patch before left.
EDITS = [
    # the same kernel VA use as twice below, now first in the file: the
    # pre-image had it twice, so the instance kept is the last one, in
    # __hyp_c, a line no hunk shows
    ("\tmov\tx9, x10\n", "\tldr\tx1, =kvm_host_data\n\tldr\tx2, [x1]\n\tmov\tx9, x10\n"),
    # kern_hyp_va deleted: the use seven lines below becomes a finding
    ("\tkern_hyp_va\tx3\n", ""),
    # an msr written backwards on an added line; the macro's value leaves
    # it untranslated
    ("\tmov\tx9, x10\n\tret\n", "\tmov\tx9, x10\n\tmsr\tx5, tpidr_el2\n\tret\n"),
    ("\tkern_hyp_va\t\\reg\n.endm\n", ".endm\n"),
    # lines added to two functions, the finding in the second
    ("\tret\nSYM_FUNC_END(__hyp_b)\n\nSYM_FUNC_START(__hyp_c)\n",
     "\tnop\n\tret\nSYM_FUNC_END(__hyp_b)\n\nSYM_FUNC_START(__hyp_c)\n\tldr\tx6, =kvm_host_data\n\tldr\tx7, [x6]\n"),
]


class DictTree:
    """A kernel tree that knows one file and follows the series' edits."""

    def __init__(self, text: str) -> None:
        self.text = text

    def old_file(self, change):
        old = self.text
        self.text = post_image(change, old)
        return old

    def kernel_version(self):
        return KernelVersion(5, 10)

    def hyp_macro_uses(self, names):
        return frozenset()


def _series():
    mbox, text = [], BASE
    for n, (old, new) in enumerate(EDITS, start=1):
        after = _edit(text, old, new)
        diff = "".join(difflib.unified_diff(text.splitlines(True), after.splitlines(True), n=1))
        hunks = diff.split("\n", 2)[2]  # from the first @@
        mbox.append(make_patch(PATH, hunks, subject=f"[PATCH {n}/{len(EDITS)}] KVM: arm64: focus {n}",
                               msgid=f"focus.{n}@example.org",
                               extra_headers="" if n == 1 else "In-Reply-To: <focus.1@example.org>\n"))
        text = after
    messages, _ = parse_input("".join(mbox).encode(), source="focus.mbox")
    (series,), _ = assemble_series(messages)
    assert len(series.patches) == len(EDITS)
    return series


def _review(monkeypatch, whole: bool, rules=None, read_all: bool = False):
    if whole:  # every matcher over the whole unit, as before narrowing
        monkeypatch.setattr(engine, "focused_hits", lambda matcher, unit, lines: matcher.run(unit))
    if read_all:  # every function of a whole file read, not only those near a change
        monkeypatch.setattr(engine, "read_near", lambda rules: None)
    config = load_config()
    return engine.review(_series(), rules or load_rules(config), config, DictTree(BASE))


def _changed_lines(patch) -> set[int]:
    return {line.new_line for change in patch.files for hunk in change.hunks for line in hunk.lines
            if line.kind == "+"}


def test_narrowed_rules_find_what_whole_files_find(monkeypatch) -> None:
    narrowed = _review(monkeypatch, whole=False)
    whole = _review(monkeypatch, whole=True)
    assert [p.findings for p in narrowed.patches] == [p.findings for p in whole.patches]
    assert [p.problems for p in narrowed.patches] == [p.problems for p in whole.patches]
    first, second, third, fourth, fifth = narrowed.patches
    # the repeated kernel VA use: reported once, at its last instance in the
    # code the patch comes near (tf_style_second, outside every hunk); the
    # instance in __hyp_c, a function far from every change, is not read
    # on either side (test_only_functions_near_a_change_are_read)
    second_use = BASE.split("\n").index("\tldr\tx2, [x1]") + 3
    assert [(f.rule_id, f.line) for f in first.findings] == [("arm64.hyp.missing-kern-hyp-va", second_use)]
    assert second_use not in _changed_lines(first.patch)
    # the deleted kern_hyp_va: found at the use no hunk shows
    (deleted,) = second.findings
    assert deleted.rule_id == "arm64.hyp.missing-kern-hyp-va" and deleted.line not in _changed_lines(second.patch)
    assert deleted.snippet.split() == ["ldr", "x4,", "[x3]"]
    # the added msr is found; the one the pre-image had is not
    assert [f.rule_id for f in third.findings] == ["arm64.sysreg.msr-mrs-operand-order"]
    assert third.findings[0].line in _changed_lines(third.patch)
    assert any(f.rule_id == "arm64.hyp.missing-kern-hyp-va" for f in fourth.findings)
    assert [f.snippet.split() for f in fifth.findings] == [["ldr", "x7,", "[x6]"]]


def test_a_taint_rule_of_added_lines_runs_on_the_spans_that_hold_them(monkeypatch) -> None:
    config = load_config()
    rule = load_rules(config).get("arm64.hyp.missing-kern-hyp-va")
    assert rule is not None and isinstance(rule.matcher, TaintMatcher)
    for mode in ("added", "context"):
        rules = RuleSet((replace(rule, diff=DiffSpec(mode=mode, context=2)),))
        visits = _counting_visits(monkeypatch)
        narrowed = _review(monkeypatch, whole=False, rules=rules)
        spent = visits[0]
        whole = _review(monkeypatch, whole=True, rules=rules, read_all=True)
        assert [p.findings for p in narrowed.patches] == [p.findings for p in whole.patches]
        assert any(p.findings for p in narrowed.patches)
        assert 0 < spent < (visits[0] - spent) / 2, (spent, visits[0] - spent)
        monkeypatch.undo()


def test_a_whole_file_is_analysed_once_per_series(monkeypatch) -> None:
    # each patch's pre-image is the post-image of the one before: four
    # patches, five whole files, not eight
    runs = {"narrowed": 0, "whole": 0}
    real = TaintMatcher.run
    mode = ["narrowed"]

    def counting(self, unit, spans=None):
        runs[mode[0]] += 1
        return real(self, unit, spans)

    monkeypatch.setattr(TaintMatcher, "run", counting)
    _review(monkeypatch, whole=False, read_all=True)
    mode[0] = "whole"
    _review(monkeypatch, whole=True, read_all=True)
    assert runs == {"narrowed": 1 + len(EDITS), "whole": 2 * len(EDITS)}


def test_only_functions_near_a_change_are_read(monkeypatch) -> None:
    near = _review(monkeypatch, whole=False)
    everything = _review(monkeypatch, whole=False, read_all=True)
    # the same findings, but for where a key repeated in a function far
    # from every change is reported: in the code read, not in __hyp_c
    first_near, *rest_near = near.patches
    first_all, *rest_all = everything.patches
    assert [p.findings for p in rest_near] == [p.findings for p in rest_all]
    assert [(f.rule_id, f.snippet) for f in first_near.findings] == \
        [(f.rule_id, f.snippet) for f in first_all.findings]
    assert first_near.findings[0].line < first_all.findings[0].line
    # the first patch comes near the TF-style code only: __hyp_b and
    # __hyp_c are outlined, their instructions left unread on both sides
    config = load_config()
    text = BASE
    after = _edit(text, *EDITS[0])
    diff = "".join(difflib.unified_diff(text.splitlines(True), after.splitlines(True), n=1))
    messages, _ = parse_input(make_patch(PATH, diff.split("\n", 2)[2], subject="[PATCH] KVM: arm64: near").encode(),
                              source="near.mbox")
    (series,), _ = assemble_series(messages)
    change = series.patches[0].files[0]
    units = build_units(change, config, Era(KernelVersion(5, 10)), old_text=BASE, near=engine.NEAR)
    for unit in (*units.new_asm, *units.old_asm):
        unread = {stmt.text for stmt in unit.region.statements if type(stmt) is Unread}
        read = {stmt.text for stmt in unit.region.statements if type(stmt) is Instruction}
        assert {"kern_hyp_va\tx3", "ldr\tx4, [x3]", "msr\tx0, tpidr_el2"} <= unread
        assert {"mov\tx9, x10", "ldr\tx2, [x1]", "kern_hyp_va\t\\reg"} <= read
    whole = build_units(change, config, Era(KernelVersion(5, 10)), old_text=BASE)
    assert not any(type(stmt) is Unread for unit in whole.new_asm for stmt in unit.region.statements)


def _counting_visits(monkeypatch) -> list[int]:
    visits = [0]
    real = TaintMatcher._transfer

    def counting(self, *args, **kwargs):
        visits[0] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(TaintMatcher, "_transfer", counting)
    return visits


def test_a_remembered_analysis_is_one_of_the_same_era() -> None:
    config = load_config()
    rule = load_rules(config).get("arm64.hyp.missing-kern-hyp-va")
    old, new = (build_units(FileChange(old_path=PATH, new_path=PATH, hunks=()), config, Era(KernelVersion(*v)),
                            whole_file_text=BASE).new_asm[0] for v in ((5, 10), (5, 15)))
    assert old.region.statements is new.region.statements  # one parse
    assert list(focused_hits(rule.matcher, old, None)) == list(rule.matcher.run(old)) != []
    assert list(focused_hits(rule.matcher, new, None)) == list(rule.matcher.run(new)) == []  # no literal source after 5.12


def test_the_pre_image_is_analysed_only_when_it_could_repeat_a_new_key() -> None:
    config = load_config()
    rule = load_rules(config).get("arm64.hyp.missing-kern-hyp-va")
    unit = build_units(FileChange(old_path=PATH, new_path=PATH, hunks=()), config, Era(KernelVersion(5, 10)),
                       whole_file_text=BASE).new_asm[0]
    keys = {hit.key for hit in rule.matcher.run(unit)}
    assert "ldr x1, =kvm_host_data -> ldr x2, [x1]" in keys
    assert could_repeat(rule.matcher, [unit], keys)
    assert not could_repeat(rule.matcher, [unit], {"ldr x6, =kvm_host_data -> ldr x7, [x6]"})
    assert not could_repeat(rule.matcher, [unit], {"ldr x1, =kvm_host_data -> ldr x7, [x6]"})  # a source, no sink
    assert not could_repeat(rule.matcher, [unit], set())
    assert could_repeat(object(), [unit], {"anything"})  # other matchers: always run


def test_the_code_the_other_side_reads_does_not_pull_in_the_functions_below() -> None:
    # every function has a comment: once a side reads a whole function, its
    # comments are on lines the other side reads, but not near the change,
    # and the code below them is not read for them (it was, a span a turn,
    # down to the end of the file)
    functions = "".join(f"SYM_FUNC_START(f{n})\n\t// what f{n} does\n"
                        + "".join(f"\tadd\tx{n}, x{n}, #{k}\n" for k in range(6))
                        + f"\tret\nSYM_FUNC_END(f{n})\n" for n in range(12))
    after = functions.replace("\tadd\tx3, x3, #2\n", "\tadd\tx3, x3, #2\n\tnop\n")
    diff = "".join(difflib.unified_diff(functions.splitlines(True), after.splitlines(True), n=1))
    messages, _ = parse_input(make_patch(PATH, diff.split("\n", 2)[2], subject="[PATCH] KVM: arm64: f3").encode(),
                              source="f3.mbox")
    (series,), _ = assemble_series(messages)
    units = build_units(series.patches[0].files[0], load_config(), Era(KernelVersion(5, 10)),
                        old_text=functions, near=engine.NEAR)
    for unit in (*units.new_asm, *units.old_asm):
        read = {stmt.text for stmt in unit.region.statements if type(stmt) is Instruction}
        assert read == {f"add\tx3, x3, #{k}" for k in range(6)} | {"ret"} | ({"nop"} if unit.view.side == "new" else set())


def test_the_statements_on_allowed_lines_are_found_by_their_lines() -> None:
    import random

    from reviewbot.match.focus import _indices_on

    rng = random.Random(7)
    for _ in range(500):
        lines, line = [], 1
        for _ in range(rng.randint(0, 40)):
            line += rng.choice((0, 0, 1, 1, 2, 5))  # statements share a line, lines without one
            lines.append(line)
        statements = tuple(Unread("nop", n, 1) for n in lines)
        allowed = frozenset(rng.sample(range(0, line + 3), rng.randint(0, min(12, line + 3))))
        assert _indices_on(statements, allowed) == [i for i, s in enumerate(statements) if s.line in allowed]
