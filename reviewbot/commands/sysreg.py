"""``reviewbot sysreg NAME|ENCODING|SYS_MACRO [--json]``: what the register
table knows of one AArch64 system register, and where it came from.

Unknown names exit 2 with the closest known names."""

from __future__ import annotations

import argparse
import json
import sys

from reviewbot.commands import help_line


def register(subparsers) -> None:
    """Add the ``sysreg`` subcommand."""
    parser = subparsers.add_parser(
        "sysreg",
        help=help_line("sysreg"),
        description=(
            "Print the facts the system-register table holds about one register "
            "(encoding, mrs/msr access, exception level, aliases, gating features, "
            "kernel macro names), what each source said, and the sources' provenance."),
        epilog=(
            "examples:\n"
            "  reviewbot sysreg sctlr_el12\n"
            "  reviewbot sysreg s3_0_c1_c0_0\n"
            "  reviewbot sysreg SYS_ID_AA64MMFR1_EL1 --json"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("register", metavar="NAME|ENCODING|SYS_MACRO",
                        help="architectural name (any case), s<op0>_<op1>_c<n>_c<m>_<op2>, "
                             "sys_reg(...) or a kernel SYS_* macro")
    parser.add_argument("--json", action="store_true", help="print the entry as JSON")
    parser.set_defaults(func=run)


def _tri(value) -> str:
    return {True: "yes", False: "no", None: "uncertain"}[value]


def run(args: argparse.Namespace) -> int:
    from reviewbot.analysis import sysregs
    from reviewbot.errors import UsageError

    reg = sysregs.lookup(args.register)
    if reg is None and (bad := sysregs.out_of_range(args.register)) is not None:
        raise UsageError(f"{args.register!r} is no system-register encoding: {bad}")
    if reg is None:
        close = sysregs.suggest(args.register)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown system register {args.register!r}{hint}")
    notes = sysregs.disagreements(reg.name)
    prov = sysregs.provenance()["sources"]
    if args.json:
        entry = reg.to_dict()
        entry["disagreements"] = notes
        entry["provenance"] = {s: prov[s] for s in _prov_keys(reg.sources) if s in prov}
        sys.stdout.write(json.dumps(entry, indent=2, sort_keys=True) + "\n")
        return 0
    op0, op1, crn, crm, op2 = reg.encoding
    lines = [f"{reg.name}  {reg.raw}  (op0={op0} op1={op1} CRn={crn} CRm={crm} op2={op2})"]
    if not reg.known:
        lines.append("  IMPLEMENTATION DEFINED encoding (op0=3, CRn=11 or 15): valid, not in the table")
    lines.append(f"  readable (mrs): {_tri(reg.readable)}   writable (msr): {_tri(reg.writable)}")
    lines.append(f"  exception level: EL{reg.el} and above "
                 f"(ELs {', '.join(map(str, reg.els))})")
    if reg.alias_of:
        what = ("VHE accessor: reaches it from EL2 with HCR_EL2.E2H=1"
                if reg.alias_kind == "vhe" else "same encoding")
        lines.append(f"  alias of: {reg.alias_of} ({what})")
    if reg.aliases:
        lines.append(f"  aliases: {', '.join(reg.aliases)}")
        for alias in filter(None, map(sysregs.lookup, reg.aliases)):
            if alias.encoding == reg.encoding and (alias.readable, alias.writable) != (reg.readable, reg.writable):
                # one encoding, two registers (DBGDTRRX_EL0 read, DBGDTRTX_EL0 written)
                lines.append(f"  {alias.name}, at the same encoding: readable (mrs): {_tri(alias.readable)}   "
                             f"writable (msr): {_tri(alias.writable)}")
    if reg.features or reg.arch:
        lines.append(f"  features: {', '.join(reg.features + ((reg.arch,) if reg.arch else ()))}")
    if reg.kernel_names:
        lines.append(f"  kernel: {', '.join(reg.kernel_names)}")
    for source, facts in sorted(reg.source_facts.items()):
        said = ", ".join(f"{k}={'|'.join(v) if isinstance(v, list) else v}" for k, v in sorted(facts.items()))
        lines.append(f"  {source} says: {said}")
    for note in notes:
        rest = {k: v for k, v in note.items() if k not in ("kind", "register")}
        lines.append(f"  disagreement ({note['kind']}): {json.dumps(rest, sort_keys=True)}")
    lines.append("provenance:" if reg.sources else "provenance: none (not in the table)")
    for key in _prov_keys(reg.sources):
        if key in prov:
            p = prov[key]
            pin = p.get("commit") or p.get("version")
            lines.append(f"  {key}: {p['repository']} {p['path']} @ {pin} (sha256 {p['sha256'][:16]}...)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _prov_keys(sources) -> list[str]:
    keys = []
    for source in sources:
        keys.extend(("linux_sysreg", "linux_sysreg_h") if source == "linux" else (source,))
    return keys
