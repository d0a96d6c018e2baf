"""Fuzzing the whole ``reviewbot check`` path: hypothesis mutates real
patches and mboxes (bytes inserted, replaced, deleted, repeated, in the
headers and in the diff); ``check`` must end with 0, 1 or 2 -- never an
internal error (3) -- on every one.  Seeded and bounded: the same inputs on
every run, in this process through ``reviewbot.cli.main``."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEEDS = [p.read_bytes() for p in sorted((EXAMPLES / "seed-series").glob("000[1-4]*.patch"))]
MBOX = (EXAMPLES / "seed-series.mbox").read_bytes()
PIECES = [b"(", b")" * 3, b"(" * 1200, b"[" * 300, b"{", b'"', b"'", b"\\", b"\n", b"\n\n", b"-- \n", b"\x00",
          b"\xff\xfe", b"@@ -1,3 +1,4 @@\n", b"+", b"-", b" ", b"diff --git a/x b/x\n", b"From x\n",
          b"To: <\n", b'Cc: "\n', b"Message-ID: <,x@y>\n", b"=?utf-8?q?=0D=0A?=", b"ldr x0, =", b"msr ",
          b"tpidr_el2", b".macro m\n", b".endm\n", b"#if X\n", b"/*", b"*/", b"x" * 3000, b"\t", b"\r\n"]
EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 3), st.sampled_from(PIECES)),
                 min_size=1, max_size=8)


def mutate(data: bytes, edits) -> bytes:
    for offset, kind, piece in edits:
        at = offset % (len(data) + 1)
        if kind == 0:
            data = data[:at] + piece + data[at:]
        elif kind == 1:
            data = data[:at] + piece + data[at + len(piece):]
        elif kind == 2:
            data = data[:at] + data[at + 1 + offset % 50:]
        else:
            data = data[:at] + piece * (2 + offset % 4) + data[at:]
    return data


def check(tmp_path: Path, capsys, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = run_cli(capsys, "check", "--no-tree", str(path))
    assert code in (0, 1, 2), f"exit {code} on {data[:300]!r}...: {err[-500:]}"
    assert "internal error" not in err, err[-500:]


FUZZ = dict(derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@settings(max_examples=300, **FUZZ)
@given(seed=st.sampled_from(range(len(SEEDS))), edits=EDITS)
def test_mutated_patches_never_make_an_internal_error(tmp_path_factory, capsys, seed, edits):
    check(tmp_path_factory.mktemp("fuzz"), capsys, "p.patch", mutate(SEEDS[seed], edits))


@settings(max_examples=150, **FUZZ)
@given(edits=EDITS)
def test_a_mutated_mbox_never_makes_an_internal_error(tmp_path_factory, capsys, edits):
    check(tmp_path_factory.mktemp("fuzz"), capsys, "s.mbox", mutate(MBOX, edits))
