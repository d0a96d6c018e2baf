"""bench/real_code.py: the rule pack over a repository's assembly, its
findings matched with judgements, gone judgements reported."""

from __future__ import annotations

import importlib.util
import json

import yaml

from tests.conftest import ROOT
from tests.gitrepo import commit, git, write

SOURCE = """\
putc:
	/* Prepend '\\r' to '\\n' */
	cmp	w0, #0xA
	b.ne	1f
	mov	w2, #0xD
1:	ret

target:
	/* The target address comes from the literal pool. */
	adr	x1, pen_target
	ldr	x1, [x1]
	br	x1
"""


def _real_code():
    spec = importlib.util.spec_from_file_location("real_code", ROOT / "bench" / "real_code.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_findings_on_a_repository_with_their_judgements(tmp_path, isolated_git, capsys):
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"arch/boot/pen.S": SOURCE, "README": "not assembly\n"})
    head = commit(repo, "pen")
    labels = tmp_path / "labels.yaml"
    labels.write_text(yaml.safe_dump({"labels": [
        {"repo": "p", "commit": head, "path": "arch/boot/pen.S", "line": 9,
         "rule": "arm64.comment.stale", "label": "right", "why": "the code loads no literal"},
        {"repo": "p", "commit": head, "path": "arch/boot/pen.S", "line": 2,
         "rule": "arm64.comment.stale", "label": "wrong", "why": "a character constant"},
    ]}))
    out = tmp_path / "out.json"
    assert _real_code().main(["--repo", f"p={repo / '.git'}", "--labels", str(labels), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert [(f["path"], f["line"], f["rule"], f["label"]) for f in result["findings"]] == [
        ("arch/boot/pen.S", 9, "arm64.comment.stale", "right")]
    assert [(g["line"], g["label"]) for g in result["gone"]] == [(2, "wrong")]
    printed = capsys.readouterr().out
    assert "findings now: 1; judged findings no longer made: 1" in printed
