#!/usr/bin/env python3
"""Measure how fast :func:`reviewbot.asm.parser.parse` reads whole files.

    python bench/bench_parse.py [SOURCE ...] [--mail INBOX]... [--repeat N] [--verify]

SOURCE is a git repository (its AArch64 ``.S`` files at HEAD, chosen as in
``bench/coverage.py``), a directory (its ``*.S`` files) or a file.  Without
one, a synthetic corpus of kernel-style assembly is generated.  Everything
runs on one core with the full AST built.  Reported:

* throughput (CPU time of the parsing thread, so that other load on the
  machine does not count) with cold memos (first pass over the corpus: each
  distinct statement and operand is parsed once) and warm ones (the corpus
  again), in lines/s counting every line, as
  checkpatch's figure does, and in code lines/s (lines holding a statement
  that is not a comment);
* peak memory of one cold pass (tracemalloc) and the process's max RSS;
* import time in a fresh interpreter with byte-code present, and the
  first-parse time of a small hunk (which the hand-written operand reader
  reads without Lark);
* how many statements the hand-written operand reader (``reviewbot/asm/operands.py``)
  reads without the grammar.

``--verify`` checks that reader against the grammar instead of timing: every
distinct statement of the corpus that the reader reads alone
(:func:`reviewbot.asm.parser.read_statement` with ``via="reader"``) must give, type for type and field for
field, what the grammar gives for the whole statement and what the grammar
gives operand by operand; and every file must parse the same with the
reader on and with the grammar alone.  ``--mail INBOX`` adds the hunks of a
public-inbox archive (as ``bench/coverage.py --mail``).
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reviewbot.asm import parser as asm  # noqa: E402
from reviewbot.asm.ast import CODE_NODES, Instruction, Unparsed, first_difference  # noqa: E402


def synthetic_corpus(lines: int = 50_000, seed: int = 1) -> dict[str, str]:
    """Kernel-style assembly made up from templates (deterministic)."""
    rnd = random.Random(seed)
    regs = [f"x{n}" for n in range(31)] + [f"w{n}" for n in range(31)]
    syms = [f"kvm_sym_{n}" for n in range(200)]
    templates = [
        lambda: f"\tmov\t{rnd.choice(regs)}, {rnd.choice(regs)}",
        lambda: f"\tldr\t{rnd.choice(regs)}, [{rnd.choice(regs[:31])}, #{8 * rnd.randrange(64)}]",
        lambda: f"\tstp\tx{rnd.randrange(30)}, x{rnd.randrange(30)}, [sp, #-{16 * rnd.randrange(1, 8)}]!",
        lambda: f"\tldp\tx{rnd.randrange(30)}, x{rnd.randrange(30)}, [sp], #{16 * rnd.randrange(1, 8)}",
        lambda: f"\tadr_l\t{rnd.choice(regs)}, {rnd.choice(syms)}",
        lambda: f"\tadd\t{rnd.choice(regs[:31])}, {rnd.choice(regs[:31])}, #:lo12:{rnd.choice(syms)}",
        lambda: f"\tmrs\tx{rnd.randrange(30)}, {rnd.choice(['tpidr_el2', 'vttbr_el2', 'esr_el2', 'far_el2'])}",
        lambda: f"\tmsr\t{rnd.choice(['hcr_el2', 'vbar_el2', 'sctlr_el2'])}, x{rnd.randrange(30)}",
        lambda: f"\tcbz\tx{rnd.randrange(30)}, {rnd.randrange(1, 9)}f",
        lambda: f"{rnd.randrange(1, 9)}:\tb.ne\t{rnd.randrange(1, 9)}b",
        lambda: f"\tkern_hyp_va\tx{rnd.randrange(30)}",
        lambda: f"\t.quad\t{rnd.choice(syms)}",
        lambda: f"\t// {rnd.choice(syms)} bookkeeping",
        lambda: "",
        lambda: f"SYM_FUNC_START({rnd.choice(syms)})",
        lambda: f"#ifdef CONFIG_{rnd.choice(syms).upper()}",
        lambda: "#endif",
        lambda: "\tisb",
        lambda: f"\tldr\tx{rnd.randrange(30)}, [x{rnd.randrange(30)}, x{rnd.randrange(30)}, lsl #3]",
        lambda: "\t/* save the host context */",
    ]
    files = {}
    for n in range(lines // 500):
        files[f"synthetic{n}.S"] = "\n".join(rnd.choice(templates)() for _ in range(500)) + "\n"
    return files


def load_corpus(sources: list[str], mail: list[str] = ()) -> dict[str, str]:
    """Path -> text for every file of every source (and every hunk of every inbox)."""
    from coverage import aarch64_files, mail_hunks, read_files

    files: dict[str, str] = {}
    for inbox in mail:
        for path, text in mail_hunks(inbox).items():
            files[f"{inbox}:{path}"] = text
    for source in sources:
        p = Path(source)
        if p.is_file():
            files[str(p)] = p.read_text(encoding="utf-8", errors="replace")
        elif (p / "HEAD").exists() or (p / ".git").exists():
            for path, text in read_files(source, aarch64_files(source)).items():
                files[f"{source}:{path}"] = text
        else:
            for f in sorted(p.rglob("*.S")):
                files[str(f)] = f.read_text(encoding="utf-8", errors="replace")
    return files


def one_pass(files: dict[str, str]) -> tuple[float, int, int, int]:
    """(CPU seconds, lines, code lines, unparsed statements) of parsing every file once."""
    lines = code_lines = unparsed = 0
    elapsed = 0.0
    for text in files.values():
        start = time.process_time()
        nodes = asm.parse(text)
        elapsed += time.process_time() - start
        lines += text.count("\n") + (0 if text.endswith("\n") else 1)
        code_lines += len({n.line for n in nodes if isinstance(n, CODE_NODES) or type(n) is Unparsed})
        unparsed += sum(1 for n in nodes if type(n) is Unparsed)
    return elapsed, lines, code_lines, unparsed


def startup() -> tuple[float, float, bool]:
    """(import ms, first 30-line parse ms, whether Lark was imported) in a
    fresh interpreter, warm caches."""
    code = (
        "import sys, time; t=time.perf_counter()\n"
        "import reviewbot.asm.parser as a\n"
        "t1=time.perf_counter()\n"
        "a.parse('\\tstp x29, x30, [sp, #-16]!\\n\\tmov x29, sp\\n' * 15)\n"
        "t2=time.perf_counter()\n"
        "print((t1-t)*1e3, (t2-t1)*1e3, int('lark' in sys.modules))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # As installed: byte-code compiled once (into a scratch prefix, not the tree).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "reviewbot-bench-pyc")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        runs.append((float(out[0]), float(out[1]), out[2] == "1"))
    runs.sort(key=lambda r: r[0] + r[1])
    return runs[len(runs) // 2]


def statements(files: dict[str, str], per_file: dict | None = None) -> collections.Counter:
    """(text, col0) of every statement the scanner hands to the parser, with
    counts (and, in ``per_file``, the set of them for each path)."""
    seen: collections.Counter = collections.Counter()
    original = asm._SCANNER.parse_body
    mine: set = set()

    def record(text, line, col0):
        seen[text, col0] += 1
        mine.add((text, col0))
        return original(text, line, col0)

    asm._SCANNER.parse_body = record
    try:
        for path, text in files.items():
            mine = set()
            asm.parse(text)
            if per_file is not None:
                per_file[path] = mine
    finally:
        asm._SCANNER.parse_body = original
    return seen


def verify(files: dict[str, str]) -> int:
    """Compare the hand-written reader with the grammar over ``files``."""
    per_file: dict = {}
    counts = statements(files, per_file)
    fast = {key: asm.read_statement(*key, via="reader") for key in counts}
    whole = {key: asm.read_statement(*key, via="grammar") for key in counts}
    by_operand = {key: asm.read_statement(*key, via="operands") for key in counts}
    mismatches = []
    for key, hit in fast.items():
        if hit is None:
            continue
        for name, other in (("whole-statement grammar", whole), ("grammar by operand", by_operand)):
            diff = first_difference(hit, other[key])
            if diff:
                mismatches.append(f"{key[0]!r} (col0 {key[1]}) vs {name}: {diff}")
    total = sum(counts.values())
    read = sum(n for key, n in counts.items() if fast[key] is not None)
    instructions = {key for key in counts if type(whole[key][0]) is Instruction}
    insn_total = sum(counts[key] for key in instructions)
    insn_read = sum(counts[key] for key in instructions if fast[key] is not None)
    read_distinct = sum(1 for hit in fast.values() if hit is not None)
    print(f"corpus: {len(files)} files; {total} statements past the line scanner "
          f"({len(counts)} distinct), {insn_total} of them instructions or macro calls "
          f"({len(instructions)} distinct)")
    print(f"read without the grammar: {read}/{total} statements ({100 * read / max(total, 1):.2f}%), "
          f"{read_distinct}/{len(counts)} distinct ({100 * read_distinct / len(counts):.2f}%); "
          f"{insn_read}/{insn_total} instructions ({100 * insn_read / max(insn_total, 1):.2f}%)")
    files_differ = 0
    with_reader = {path: asm.parse(text) for path, text in files.items()}
    asm.clear_caches()
    code = sum(1 for nodes in with_reader.values() for n in nodes
               if isinstance(n, CODE_NODES) or type(n) is Unparsed)
    grammar = total - read
    print(f"code statements (scanner's labels, directives, preprocessor lines... included) "
          f"that needed no grammar: {code - grammar}/{code} ({100 * (code - grammar) / max(code, 1):.2f}%)")
    no_grammar = sum(1 for keys in per_file.values() if all(fast[key] is not None for key in keys))
    print(f"files (or hunks) parsed without the grammar at all: {no_grammar}/{len(files)} "
          f"({100 * no_grammar / max(len(files), 1):.2f}%)")
    for via in ("grammar", "operands"):
        alone = {path: asm.parse(text, via=via) for path, text in files.items()}
        for path, nodes in with_reader.items():
            diff = first_difference(nodes, alone[path])
            if diff:
                files_differ += 1
                mismatches.append(f"{path}: file differs from the grammar alone: {diff}")
    print(f"mismatches: {len(mismatches)} statements or files "
          f"(whole files differing from the grammar alone: {files_differ})")
    for line in mismatches[:30]:
        print("  " + line)
    return 1 if mismatches else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", metavar="SOURCE")
    parser.add_argument("--repeat", type=int, default=3, help="cold passes to time (best is kept)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one cold pass")
    parser.add_argument("--mail", action="append", default=[], metavar="INBOX",
                        help="also the arch/arm64 .S hunks of a public-inbox v2 epoch repository")
    parser.add_argument("--verify", action="store_true",
                        help="check the hand-written operand reader against the grammar; no timing")
    args = parser.parse_args(argv)
    files = (load_corpus(args.sources, args.mail) if args.sources or args.mail
             else synthetic_corpus())
    if args.verify:
        return verify(files)
    asm.parse("nop")  # load the grammar outside the timings
    if args.profile:
        import cProfile
        import pstats

        asm.clear_caches()
        cProfile.runctx("one_pass(files)", globals(), {"files": files}, "/tmp/bench_parse.prof")
        pstats.Stats("/tmp/bench_parse.prof").sort_stats("tottime").print_stats(25)
    cold = []
    for _ in range(args.repeat):
        asm.clear_caches()
        cold.append(one_pass(files))
    seconds, lines, code_lines, unparsed = min(cold)
    warm = one_pass(files)[0]
    asm.clear_caches()
    tracemalloc.start()
    one_pass(files)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = statements(files)
    read = sum(n for key, n in counts.items() if asm.read_statement(*key, via="reader") is not None)
    imp, first, lark = startup()
    print(f"corpus: {len(files)} files, {lines} lines, {code_lines} code lines, "
          f"{unparsed} unparsed statements")
    print(f"cold memo: {seconds:.3f} s  {lines / seconds:,.0f} lines/s  "
          f"{code_lines / seconds:,.0f} code lines/s")
    print(f"warm memo: {warm:.3f} s  {lines / warm:,.0f} lines/s  {code_lines / warm:,.0f} code lines/s")
    print(f"peak memory of one cold pass (tracemalloc): {peak / 2**20:.1f} MiB; max RSS {rss:.0f} MiB")
    print(f"statements read without the grammar (hand-written operand reader): "
          f"{read}/{sum(counts.values())} ({100 * read / max(sum(counts.values()), 1):.2f}%)")
    print(f"fresh interpreter: import reviewbot.asm.parser {imp:.1f} ms, first 30-line parse "
          f"{first:.1f} ms ({'Lark imported' if lark else 'no Lark'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
