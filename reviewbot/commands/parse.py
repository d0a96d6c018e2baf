"""``reviewbot parse FILE... [--stats] [--quoted]``: show how arm64 assembly parses.

Without ``--stats`` it prints one statement per line,
``file:line:col: ClassName field=value ...``; with ``--stats`` it prints, per
file, how many code statements the grammar read (and, when some are, how many
of the instructions have no A64 mnemonic: any ``word operands`` line reads as
an instruction), a total, and every line it could not read.  Unparsed lines are not an error: the exit status is 0; a
FILE that cannot be read is reported (``reviewbot: error:``), the others
are still parsed, and the exit status is then 2.
"""

from __future__ import annotations

import argparse
import sys

from reviewbot.commands import help_line
from reviewbot.printable import printable


def register(subparsers) -> None:
    """Add the ``parse`` subcommand."""
    parser = subparsers.add_parser(
        "parse",
        help=help_line("parse"),
        description=(
            "Parse arm64 assembly (GNU as, as the Linux kernel writes it) and print "
            "one statement per line as 'file:line:col: ClassName field=value ...'. "
            "Lines the grammar cannot read are shown as 'Unparsed' with the reason."),
        epilog=(
            "examples:\n"
            "  reviewbot parse arch/arm64/kvm/hyp/entry.S\n"
            "  reviewbot parse --stats arch/arm64/kernel/*.S\n"
            "  git diff | reviewbot parse --quoted -\n\n"
            "exit status: 0, whatever the grammar could not read; 2 when a FILE cannot be "
            "read\n(it is named on stderr; the other files are still parsed)"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="assembly file to parse; '-' reads standard input")
    parser.add_argument("--stats", action="store_true",
                        help="print per-file 'N/M statements parsed (P%%)' (and how many "
                             "of its instructions have a mnemonic that is no A64 one: a "
                             "macro used as one, or not assembly), a total, and each "
                             "unparsed line as 'file:line: text'")
    parser.add_argument("--quoted", action="store_true",
                        help="strip mail quote markers ('> ', '>> ') and diff markers "
                             "('+', '-') from every line first")
    parser.set_defaults(func=run)


def _read(path: str) -> str:
    from reviewbot.errors import InputError

    name = "<stdin>" if path == "-" else path  # as the output names it
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    if b"\0" in data:
        raise InputError(name, "is a binary file, not assembly source")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def format_node(node) -> str:
    """``ClassName field=value ...`` for a statement (line and column left out)."""
    from reviewbot.records import fields

    parts = [type(node).__name__]
    for f in fields(node):
        if f.name in ("line", "column"):
            continue
        value = getattr(node, f.name)
        if f.name == "operands":
            parts.append("operands=[" + ", ".join(_operand(op) for op in value) + "]")
        elif f.name == "params":
            parts.append("params=[" + ", ".join(_param(p) for p in value) + "]")
        else:
            parts.append(f"{f.name}={value!r}")
    return " ".join(parts)


def _param(param) -> str:
    text = param.name
    if param.qualifier:
        text += ":" + param.qualifier
    if param.default is not None:
        text += "=" + param.default
    return text


def _operand(op) -> str:
    """``Class(text)`` plus the fields that matter for that class."""
    from reviewbot.asm.ast import (
        Immediate, Literal, MacroArg, Memory, MetaVar, Register, RegList, Shift, Symbol, SysReg,
    )

    name = type(op).__name__
    extra = ""
    if isinstance(op, Register):
        extra = f" {op.kind} {op.canon}"
    elif isinstance(op, SysReg):
        extra = f" {op.canon}"
    elif isinstance(op, Immediate) and op.value is not None:
        extra = f" ={op.value}"
    elif isinstance(op, Literal):
        extra = f" symbol={op.symbol}" if op.symbol else (
            f" value={op.value}" if op.value is not None else "")
    elif isinstance(op, Symbol) and (op.reloc or op.name != op.text):
        extra = f" name={op.name}" + (f" reloc={op.reloc}" if op.reloc else "")
    elif isinstance(op, MacroArg):
        extra = f" name={op.name}"
    elif isinstance(op, MetaVar):
        extra = " ellipsis" if op.ellipsis else ""
    elif isinstance(op, Shift):
        extra = f" op={op.op}" + (f" amount={op.amount}" if op.amount else "")
    elif isinstance(op, RegList):
        extra = " " + " ".join(r.canon for r in op.registers)
    elif isinstance(op, Memory):
        inner = [f"base={_operand(op.base)}"]
        for field in ("offset", "index", "shift"):
            value = getattr(op, field)
            if value is not None:
                inner.append(f"{field}={_operand(value)}")
        if op.writeback:
            inner.append(f"writeback={op.writeback}")
        return f"Memory({op.text!r} " + " ".join(inner) + ")"
    return f"{name}({op.text!r}{extra})"


def run(args: argparse.Namespace) -> int:
    """Parse each file; print the AST or, with ``--stats``, the coverage."""
    from reviewbot.asm import parser as asm
    from reviewbot.asm.ast import Unparsed
    from reviewbot.errors import InputError

    write = sys.stdout.write
    totals = [0, 0, 0, 0]
    unread = 0
    for path in args.files:
        name = "<stdin>" if path == "-" else path
        try:
            text = _read(path)
        except InputError as exc:  # named, and the other files still parsed (as check does)
            sys.stdout.flush()
            print(f"reviewbot: error: {printable(str(exc), lines=True)}", file=sys.stderr)
            unread += 1
            continue
        nodes = (asm.parse_quoted if args.quoted else asm.parse)(text, source=name)
        if not args.stats:
            for node in nodes:
                write(printable(f"{name}:{node.line}:{node.column}: {format_node(node)}") + "\n")
            continue
        counts = _coverage(nodes)
        totals = [a + b for a, b in zip(totals, counts)]
        write(printable(f"{name}: {_stats_line(*counts)}") + "\n")
        for node in nodes:
            if type(node) is Unparsed:
                write(printable(f"{name}:{node.line}: {node.text}") + "\n")
    if args.stats:
        not_read = f"; {unread} file{'s' if unread != 1 else ''} not read" if unread else ""
        write(f"total: {_stats_line(*totals)}{not_read}\n")
    return 2 if unread else 0


def _coverage(nodes) -> list[int]:
    """[statements parsed, code statements, instructions, instructions whose
    mnemonic the A64 table does not know]: the grammar reads any ``word
    operands`` line as an Instruction, kernel macros (``adr_l``) and prose too."""
    from reviewbot.asm.ast import CODE_NODES, Instruction, Unparsed
    from reviewbot.asm.mnemonics import is_instruction

    parsed = sum(1 for n in nodes if isinstance(n, CODE_NODES))
    instructions = [n.mnemonic for n in nodes if isinstance(n, Instruction)]
    return [parsed, parsed + sum(1 for n in nodes if type(n) is Unparsed),
            len(instructions), sum(1 for m in instructions if not is_instruction(m))]


def _stats_line(parsed: int, count: int, instructions: int, not_a64: int) -> str:
    """``N/M statements parsed (P%)``, and how many of the instructions are
    not A64 ones, when any is not."""
    line = f"{parsed}/{count} statements parsed ({_percent(parsed, count)})"
    if not_a64:
        line += f"; {not_a64} of {instructions} instructions with a non-A64 mnemonic (macros, or not assembly)"
    return line


def _percent(ok: int, count: int) -> str:
    return f"{100.0 * ok / count:.2f}%" if count else "100.00%"
