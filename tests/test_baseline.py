"""Suppressions that never touch the kernel source: the baseline file
(``--write-baseline``, ``--baseline``), ``reviewbot-ignore:`` lines below a
patch's ``---``, per-path ignores, and the notes about unused ones."""

from __future__ import annotations

import json

import pytest

from reviewbot.baseline import BaselineFormatError, format_baseline, parse_baseline
from tests.conftest import run_cli

HYP = "arch/arm64/kvm/hyp/switch.S"
RULE = "arm64.sysreg.msr-mrs-operand-order"
SWAP_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"
# v2: two new lines above the old finding (it moves to line 4) and a second error
SWAP_HUNK_V2 = ("@@ -1,2 +1,6 @@\n foo:\n+\tisb\n+\tnop\n+\tmsr\tx0, tpidr_el2\n"
                "+\tmsr\tmidr_el1, x1\n \tret\n")
FIXED_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmrs\tx0, tpidr_el2\n \tret\n"
SUBJECT = "[PATCH] KVM: arm64: Read tpidr_el2"


@pytest.fixture
def write_patch(tmp_path, patch_factory):
    def write(name: str, hunk: str, subject: str = SUBJECT, notes: str = "") -> str:
        path = tmp_path / name
        path.write_text(patch_factory(HYP, hunk, subject=subject, notes=notes))
        return str(path)
    return write


# --- the baseline file -------------------------------------------------------------------------


def test_write_then_use_a_baseline(capsys, tmp_path, write_patch):
    v1 = write_patch("v1.patch", SWAP_HUNK)
    baseline = tmp_path / "baseline.json"
    code, out, err = run_cli(capsys, "check", v1, "--write-baseline", str(baseline))
    assert (code, out) == (0, "")
    assert err == f"reviewbot: note: wrote 1 finding to the baseline {baseline}\n"
    doc = json.loads(baseline.read_text())
    assert doc["schema_version"] == 1 and doc["tool"] == "reviewbot"
    (entry,) = doc["findings"]
    assert entry["rule_id"] == RULE and entry["path"] == HYP and entry["patch"] == "KVM: arm64: Read tpidr_el2"
    assert len(entry["fingerprint"]) == 16
    assert run_cli(capsys, "check", v1, "--baseline", str(baseline)) == (0, "", "")


def test_the_baseline_follows_a_finding_across_revisions(capsys, tmp_path, write_patch):
    baseline = tmp_path / "baseline.json"
    run_cli(capsys, "check", write_patch("v1.patch", SWAP_HUNK), "--write-baseline", str(baseline))
    v2 = write_patch("v2.patch", SWAP_HUNK_V2, subject="[PATCH v2] KVM: arm64: Read tpidr_el2")
    code, out, err = run_cli(capsys, "check", "-q", v2, "--baseline", str(baseline))
    assert code == 1 and err == ""
    assert out.splitlines() == [line for line in out.splitlines() if line.startswith(f"{HYP}:5: error:")]
    assert len(out.splitlines()) == 1  # the accepted one, now at line 4, is not reported


def test_suppressed_findings_stay_visible_in_json(capsys, tmp_path, write_patch):
    v1 = write_patch("v1.patch", SWAP_HUNK)
    baseline = tmp_path / "baseline.json"
    run_cli(capsys, "check", v1, "--write-baseline", str(baseline))
    doc = json.loads(run_cli(capsys, "check", v1, "--baseline", str(baseline), "--format", "json")[1])
    assert doc["findings"] == []
    assert doc["suppressed"][0]["suppressed"] == f"baseline {baseline}"


def test_an_entry_whose_finding_is_gone_is_reported_unused(capsys, tmp_path, write_patch):
    baseline = tmp_path / "baseline.json"
    run_cli(capsys, "check", write_patch("v1.patch", SWAP_HUNK), "--write-baseline", str(baseline))
    fixed = write_patch("v2.patch", FIXED_HUNK, subject="[PATCH v2] KVM: arm64: Read tpidr_el2")
    code, out, err = run_cli(capsys, "check", fixed, "--baseline", str(baseline))
    assert (code, out) == (0, "")
    assert err == (f"reviewbot: note: baseline {baseline}: {RULE} ({HYP}, patch 'KVM: arm64: Read "
                   "tpidr_el2') matched no finding; refresh it with --write-baseline\n")
    # a patch the entry was not about says nothing of it
    other = write_patch("other.patch", FIXED_HUNK, subject="[PATCH] arm64: Something else")
    assert run_cli(capsys, "check", other, "--baseline", str(baseline)) == (0, "", "")


def test_rewriting_a_baseline_drops_what_is_fixed(capsys, tmp_path, write_patch):
    baseline = tmp_path / "baseline.json"
    run_cli(capsys, "check", write_patch("v1.patch", SWAP_HUNK), "--write-baseline", str(baseline))
    v2 = write_patch("v2.patch", SWAP_HUNK_V2)
    code, _, err = run_cli(capsys, "check", v2, "--baseline", str(baseline), "--write-baseline", str(baseline))
    assert code == 0 and "wrote 2 findings" in err
    assert {e["rule_id"] for e in json.loads(baseline.read_text())["findings"]} == {
        RULE, "arm64.sysreg.write-to-read-only"}


@pytest.mark.parametrize("content, problem", [
    (None, "no such baseline file (write one with --write-baseline)"),
    ("{not json", "not JSON: "),
    ('{"schema_version": 1}', "not a reviewbot baseline (no 'findings' list)"),
    ('{"schema_version": 7, "findings": []}', "schema_version 7 is not supported"),
    ('{"schema_version": 1, "findings": [{"rule_id": "x"}]}', "entry 1: needs a 'fingerprint'"),
])
def test_a_bad_baseline_is_one_line_naming_it(capsys, tmp_path, write_patch, content, problem):
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_text(content)
    code, out, err = run_cli(capsys, "check", write_patch("v1.patch", SWAP_HUNK), "--baseline", str(baseline))
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewbot: error: {baseline}: {problem}") and len(err.splitlines()) == 1


def test_baseline_text_round_trip():
    assert parse_baseline(format_baseline([])).entries == ()
    with pytest.raises(BaselineFormatError):
        parse_baseline("[]")


# --- reviewbot-ignore and per-path ignores --------------------------------------------------------


def test_reviewbot_ignore_below_the_cut_line(capsys, write_patch):
    used = write_patch("used.patch", SWAP_HUNK, notes=f"reviewbot-ignore: {RULE} the test wants it\n")
    assert run_cli(capsys, "check", used) == (0, "", "")


def test_an_unused_reviewbot_ignore_is_reported(capsys, write_patch):
    unused = write_patch("unused.patch", FIXED_HUNK, notes=f"reviewbot-ignore: {RULE} old reason\n")
    assert run_cli(capsys, "check", unused) == (
        0, "", f"reviewbot: note: 'reviewbot-ignore: {RULE}' in {unused}: the rule found nothing in this patch\n")
    typo = write_patch("typo.patch", SWAP_HUNK, notes="reviewbot-ignore: arm64.sysreg.msr-mrs-oprand-order x\n")
    code, out, err = run_cli(capsys, "check", typo)
    assert code == 1 and out.startswith(f"{HYP}:2: error: [{RULE}]")
    assert err == (f"reviewbot: note: 'reviewbot-ignore: arm64.sysreg.msr-mrs-oprand-order' in {typo}: "
                   "no rule of that id ran (see 'reviewbot rules list')\n")


def test_notes_never_reach_stderr_in_b4_modes(capsys, write_patch):
    unused = write_patch("unused.patch", FIXED_HUNK, notes=f"reviewbot-ignore: {RULE} old reason\n")
    for fmt in ("b4", "b4-review"):
        code, out, err = run_cli(capsys, "check", "--format", fmt, unused)
        assert (code, err) == (0, "")


def test_per_path_ignores_in_whole_file_checks(capsys, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"rules:\n  per-path-ignores:\n    'arch/arm64/kvm/hyp/**': [{RULE}]\n")
    src = tmp_path / "switch.S"
    src.write_text("foo:\n\tmsr\tx0, tpidr_el2\n\tret\n")
    # the kernel said, as a whole file outside a tree has none (else a note says which rules did not run)
    kernel = ("-c", "context.kernel=5.10")
    assert run_cli(capsys, "check", "--config", str(config), *kernel, "--file", str(src), "--as", HYP) == (0, "", "")
    src.write_text("foo:\n\tmrs\tx0, tpidr_el2\n\tret\n")
    assert run_cli(capsys, "check", "--config", str(config), *kernel, "--file", str(src), "--as", HYP) == (
        0, "", f"reviewbot: note: rules.per-path-ignores 'arch/arm64/kvm/hyp/**': {RULE} found nothing in {HYP}\n")


def test_per_path_ignores_are_not_unused_in_a_patch(capsys, tmp_path, write_patch):
    config = tmp_path / "c.yaml"
    config.write_text(f"rules:\n  per-path-ignores:\n    'arch/arm64/kvm/hyp/**': [{RULE}]\n")
    # a patch sees a few lines of the file: the rule may well fire elsewhere in it
    assert run_cli(capsys, "check", "--config", str(config), write_patch("p.patch", FIXED_HUNK)) == (0, "", "")
